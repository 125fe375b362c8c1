/**
 * The Worker entry inside workerd, on PostgreSQL through the Neon driver. Each request goes
 * through `exports.default.fetch`, so every call is its own Worker request, as in production.
 */
import { env, exports } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { signDevToken } from '../../functions/auth/tokens.js';
import { openNeon } from '../../db/open-neon.js';

const skipReason = inject('workersSkipReason');
const bindings = inject('workerBindings');
const serversPath = 'http://switchboard.test/api/experimental/mcp/servers';
const apiKey = 'sk-live-workerd-5b1f0c9a7e3d4b2a';

type Caller = 'anonymous' | 'admin' | 'member';
let tokens: Record<Exclude<Caller, 'anonymous'>, string>;

function send(method: string, url: string, options: { as?: Caller; body?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  const as = options.as ?? 'admin';
  if (as !== 'anonymous') headers.Authorization = `Bearer ${tokens[as]}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  return exports.default.fetch(new Request(url, { method, headers, ...(body === undefined ? {} : { body }) }));
}

describe.skipIf(skipReason !== '')('Worker entry on PostgreSQL through Neon', () => {
  beforeAll(async () => {
    const secret = new TextEncoder().encode(bindings.AUTH_JWT_SECRET);
    tokens = {
      admin: await signDevToken(secret, { subject: 'workerd-admin', roles: ['admin'], name: 'Ada Admin' }),
      member: await signDevToken(secret, { subject: 'workerd-member', roles: [], name: 'Mel Member' }),
    };
  });

  it('receives the bindings from the global setup', () => {
    expect(env.ALLOW_LOCAL_TARGETS).toBe('true');
    expect(env.NEON_WS_PROXY).toBe(bindings.NEON_WS_PROXY);
  });

  it('rejects an anonymous list with 401 and WWW-Authenticate', async () => {
    const response = await send('GET', serversPath, { as: 'anonymous' });

    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toBe('Bearer realm="switchboard"');
    expect(await response.json()).toMatchObject({ code: 'unauthenticated' });
  });

  it('rejects a malformed JSON body with 400', async () => {
    const response = await send('POST', serversPath, { body: '{"slug": "broken",' });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: 'malformed_json',
      validations: [{ field: 'body', detail: 'Not valid JSON.' }],
    });
  });

  it('rejects an invalid field with 400 naming it', async () => {
    const response = await send('POST', serversPath, {
      body: { display_name: 'Bad slug', slug: 'Not A Slug', url: 'https://mcp.example.com/bad' },
    });

    expect(response.status).toBe(400);
    const error = await response.json<{ code: string; validations: { field: string }[] }>();
    expect(error.code).toBe('validation_failed');
    expect(error.validations.map((violation) => violation.field)).toEqual(['slug']);
  });

  // On a keyring that has loaded no key yet, these requests share one key load and race to
  // create the first data key. As the admin's first writes, they also race to insert the user.
  it('creates servers concurrently on a cold keyring', async () => {
    const slugs = ['parallel-1', 'parallel-2', 'parallel-3', 'parallel-4'];

    const responses = await Promise.all(
      slugs.map((slug) =>
        send('POST', serversPath, {
          body: { display_name: slug, slug, url: `https://mcp.example.com/${slug}`, auth_type: 'api_key', api_key_value: `${apiKey}-${slug}` },
        }),
      ),
    );

    const statuses = responses.map((response) => response.status);
    expect(statuses).toEqual([201, 201, 201, 201]);
    const servers = await Promise.all(responses.map((response) => response.json<{ id: string; slug: string }>()));
    expect(servers.map((server) => server.slug)).toEqual(slugs);
    for (const server of servers) {
      const row = await readStoredSecret(server.id);
      expect(row.api_key_value).not.toContain(apiKey);
      expect(row.api_key_value_key_id).toBeTruthy();
    }
  });

  describe('an api_key server created by an admin', () => {
    let serverId: string;

    beforeAll(async () => {
      const response = await send('POST', serversPath, {
        body: {
          display_name: 'Tracker',
          slug: 'tracker',
          url: 'http://127.0.0.1:9/mcp',
          auth_type: 'api_key',
          api_key_header: 'X-Api-Key',
          api_key_value: apiKey,
        },
      });
      const text = await response.text();
      expect(response.status, text).toBe(201);
      expect(text).not.toContain(apiKey);
      const server = JSON.parse(text) as { id: string; has_api_key: boolean; enabled: boolean; url: string };
      expect(server).toMatchObject({ has_api_key: true, enabled: false, url: 'http://127.0.0.1:9/mcp' });
      serverId = server.id;
    });

    it('stores the api key encrypted, never as plaintext', async () => {
      const row = await readStoredSecret(serverId);

      expect(row.api_key_value).toBeTruthy();
      expect(row.api_key_value).not.toContain(apiKey);
      expect(row.api_key_value_key_id).toBeTruthy();
    });

    it('is hidden from members while disabled', async () => {
      const response = await send('GET', serversPath, { as: 'member' });

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual([]);
    });

    it('is listed for members, redacted, once enabled', async () => {
      const enable = await send('PATCH', `${serversPath}/${serverId}`, { body: { enabled: true } });
      expect(enable.status).toBe(200);

      const response = await send('GET', serversPath, { as: 'member' });
      const text = await response.text();

      expect(response.status).toBe(200);
      expect(text).not.toContain(apiKey);
      const servers = JSON.parse(text) as Record<string, unknown>[];
      expect(servers).toHaveLength(1);
      expect(servers[0]).toMatchObject({
        id: serverId,
        slug: 'tracker',
        enabled: true,
        has_api_key: true,
        url: '',
        api_key_header: '',
        transport: '',
      });
    });

    it('is listed in full for the admin', async () => {
      const response = await send('GET', serversPath);

      expect(response.status).toBe(200);
      const servers = await response.json<Record<string, unknown>[]>();
      expect(servers.map((server) => server.slug)).toEqual(['parallel-1', 'parallel-2', 'parallel-3', 'parallel-4', 'tracker']);
      expect(servers.find((server) => server.id === serverId)).toMatchObject({
        url: 'http://127.0.0.1:9/mcp',
        api_key_header: 'X-Api-Key',
        enabled: true,
      });
    });
  });
});

const storedSecretSchema = z.object({
  api_key_value: z.string().nullable(),
  api_key_value_key_id: z.string().nullable(),
});
type StoredSecret = z.infer<typeof storedSecretSchema>;

/**
 * Reads the stored api key columns straight from PostgreSQL through the Neon driver, on a
 * connection of its own that is closed before it returns, as the Worker does per request.
 */
async function readStoredSecret(serverId: string): Promise<StoredSecret> {
  const database = openNeon({ databaseUrl: bindings.DATABASE_URL, webSocketProxy: bindings.NEON_WS_PROXY });
  try {
    const result = await database.db.execute(
      sql`SELECT api_key_value, api_key_value_key_id FROM mcp_server_configs WHERE id = ${serverId}`,
    );
    const { rows } = z.object({ rows: z.array(storedSecretSchema).length(1) }).parse(result);
    return rows[0]!;
  } finally {
    await database.close();
  }
}
