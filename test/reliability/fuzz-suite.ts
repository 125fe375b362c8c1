/**
 * Property-based fuzzing of every documented operation: fast-check generates bodies, ids,
 * headers, query strings and cookies. No request may get a 5xx, every 4xx must carry the
 * error shape, and a rejected request must leave every table as it was.
 */
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../functions/meta/document.js';
import { callers, createTestApp, serverBody, type Caller, type TestApp } from '../support/harness.js';

/**
 * Requests per operation: 10,000 on PGlite; on PostgreSQL, where the same code runs again
 * through another driver, 1,000 keep CI short. FUZZ_RUNS overrides both.
 */
const runsPerOperation = Number(process.env.FUZZ_RUNS ?? (process.env.TEST_DATABASE_URL ? 1_000 : 10_000));

/**
 * Defines the fuzz tests of every `shards`-th operation starting at `shard`, so the suite
 * splits over several files that vitest runs in parallel.
 */
export function defineFuzzSuite(shard: number, shards: number): void {
  let t: TestApp;
  const knownIds: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({ leakScan: false });
    for (const [slug, extra] of [
      ['fuzz-none', { enabled: true }],
      ['fuzz-api-key', { auth_type: 'api_key', api_key_value: 'fuzz-key', enabled: true }],
      ['fuzz-disabled', {}],
    ] as const) {
      knownIds.push((await (await t.request('POST', '/api/experimental/mcp/servers', { body: serverBody(slug, extra) })).json()).id);
    }
  });
  afterAll(() => t.close());

  const operations = Object.entries(openApiDocument().paths ?? {})
    .flatMap(([template, item]) =>
      Object.entries(item as Record<string, { requestBody?: unknown }>).map(([method, operation]) => ({
        method: method.toUpperCase(),
        template,
        hasBody: Boolean(operation.requestBody),
      })),
    )
    .filter((_, index) => index % shards === shard);

  const tables = ['users', 'mcp_server_configs', 'mcp_server_user_tokens', 'chats', 'chat_messages', 'dbcrypt_keys', 'audit_logs'];

/**
 * A rejected OAuth callback is the one rejection that writes: its audit entry, because the
 * failure itself is what the audit log records. This fingerprint leaves those entries out.
 */
const tablesBesideCallbackFailures = tables.map((table) =>
  table === 'audit_logs' ? `audit_logs WHERE NOT (action = 'oauth2.callback' AND outcome = 'failure')` : table,
);

  /**
   * One statement that changes whenever a row of any table is added, removed or changed: the
   * row count and the newest row version (`xmin`) per table. A rolled-back write leaves both
   * as they were, and an update always makes a newer row version.
   */
  async function fingerprint(sources: string[] = tables): Promise<string> {
    const parts = sources.map((source) => `(SELECT count(*) || '/' || coalesce(max(xmin::text::bigint), 0) FROM ${source})`);
    const result = await t.database.db.execute(sql.raw(`SELECT ${parts.join(" || ' ' || ")} AS f`));
    return String(((result as { rows?: { f: string }[] }).rows ?? (result as unknown as { f: string }[]))[0]!.f);
  }

  const validKeys = Object.keys(serverBody('x', { description: '', tool_allow_list: [], enabled: false, auth_type: 'none' }));

  const idArbitrary = fc.oneof(
    fc.constantFrom(...['known-0', 'known-1', 'known-2']),
    fc.uuid(),
    fc.string({ maxLength: 60 }).map(encodeURIComponent),
    fc.constantFrom('..%2F..%2Fetc', '%00', '00000000-0000-0000-0000-000000000000', 'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ'),
  );

  const bodyArbitrary = fc.oneof(
    // A valid body with some fields replaced by arbitrary JSON and unknown keys added.
    fc
      .record({
        slug: fc.stringMatching(/^[a-z0-9]{1,12}$/),
        replaced: fc.dictionary(fc.constantFrom(...validKeys, 'api_key_value', 'custom_headers', 'oauth2_client_secret', 'auth_type', 'transport', 'availability', '__proto__', 'constructor'), fc.jsonValue(), { maxKeys: 4 }),
      })
      .map(({ slug, replaced }) => JSON.stringify({ ...serverBody(`fz-${slug}`), ...replaced })),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('', '{', '{"a":1,"a":2}', '[]', 'null', '{"__proto__":{"admin":true}}'),
  );

  const requestArbitrary = fc.record({
    caller: fc.constantFrom<Caller>(...callers, 'admin', 'admin', 'member'),
    id: idArbitrary,
    body: bodyArbitrary,
    contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', ''),
    query: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
    cookie: fc.option(fc.string({ maxLength: 100 }).map((value) => `session=${encodeURIComponent(value)}`)),
    extraHeader: fc.option(fc.tuple(fc.constantFrom('X-Request-Id', 'Accept', 'X-Forwarded-Host', 'Origin'), fc.string({ maxLength: 80 }))),
  });

  describe.each(operations)('$method $template under fuzzing', ({ method, template, hasBody }) => {
    it('never fails with 5xx and writes nothing when it rejects', async () => {
      let before = await fingerprint();
      let beforeBesideCallbackFailures = await fingerprint(tablesBesideCallbackFailures);
      await fc.assert(
        fc.asyncProperty(requestArbitrary, async (input) => {
          const id = input.id.startsWith('known-') ? knownIds[Number(input.id.slice(6))]! : input.id;
          const query = new URLSearchParams(input.query).toString();
          const path = `${template.replace('{id}', id)}${query ? `?${query}` : ''}`;
          const headers: Record<string, string> = {};
          if (input.contentType) headers['Content-Type'] = input.contentType;
          if (input.cookie) headers.Cookie = input.cookie;
          if (input.extraHeader) headers[input.extraHeader[0]] = input.extraHeader[1].replace(/[^\t\x20-\x7e]/g, '');

          const response = await t.request(method, path, { as: input.caller, headers, ...(hasBody ? { body: input.body } : {}) });

          expect(response.status, `${method} ${path}`).toBeLessThan(500);
          if (response.status >= 400) {
            // The OAuth callback is a browser page: its errors are HTML under the same strict policy.
            if (response.headers.get('Content-Type')?.startsWith('text/html')) {
              expect(response.headers.get('Content-Security-Policy')).toContain("default-src 'none'");
              expect(await fingerprint(tablesBesideCallbackFailures)).toBe(beforeBesideCallbackFailures);
              before = await fingerprint();
              return;
            }
            const error = await response.json();
            expect(error).toEqual({
              code: expect.any(String),
              message: expect.any(String),
              detail: expect.any(String),
              validations: expect.any(Array),
            });
            const after = await fingerprint();
            expect(after, `${method} ${path} answered ${response.status} but changed data`).toBe(before);
          } else {
            before = await fingerprint();
            beforeBesideCallbackFailures = await fingerprint(tablesBesideCallbackFailures);
          }
        }),
        { numRuns: runsPerOperation },
      );
    }, 600_000);
  });
}
