/**
 * Hostile-client inputs that the configuration API mishandles today. Each test states the
 * expected behaviour, so it fails until the bug it names is fixed.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretColumns } from '../../db/crypto/index.js';
import { userIdForSubject } from '../../db/users.js';
import { createTestApp, serverBody, type TestApp } from '../support/harness.js';
import { base, expectErrorNaming, rawRequest, signToken, snapshot } from './support.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('token claims PostgreSQL cannot store', () => {
  // PostgreSQL text rejects U+0000 (SQLSTATE 22021), so the user upsert of a write fails.
  it.each([
    ['sub', { sub: 'nul\u0000subject', roles: ['admin'] }],
    ['name', { sub: 'nul-name', name: 'Ada\u0000Admin', roles: ['admin'] }],
    ['email', { sub: 'nul-email', email: 'ada\u0000@example.com', roles: ['admin'] }],
  ])('NUL in %s gets 4xx, not 500', async (claim, claims) => {
    const token = await signToken(claims);
    const before = await snapshot(t);

    const response = await rawRequest(t, 'POST', base, {
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(serverBody(`nul-${claim}`)),
    });

    expect(response.status).toBeLessThan(500);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await snapshot(t)).toBe(before);
  });
});

describe('lone UTF-16 surrogates', () => {
  // JSON.parse accepts "\ud800", and the database driver stores U+FFFD in its place, so
  // the stored value silently differs from the one sent.
  it.each([
    ['display_name', { display_name: 'Name \ud800' }],
    ['description', { description: 'Text \udfff' }],
    ['url', { url: 'https://mcp.example.com/\ud800' }],
    ['tool_allow_list[0]', { tool_allow_list: ['search\ud800'] }],
  ])('in %s is rejected', async (field, overrides) => {
    const before = await snapshot(t);

    const response = await t.request('POST', base, { body: serverBody(`surrogate-${field.replace(/[^a-z0-9]+/g, '-').replace(/-$/, '')}`, overrides) });

    await expectErrorNaming(response, 400, field);
    expect(await snapshot(t)).toBe(before);
  });
});

describe('C1 control characters', () => {
  // U+0080 to U+009F are control characters (Unicode category Cc), such as NEL and CSI,
  // but the patterns only cover U+0000 to U+001F and U+007F.
  it.each([
    ['display_name', { display_name: 'Name \u009b2J' }],
    ['description', { description: 'Text \u0085 more' }],
    ['url', { url: 'https://mcp.example.com/\u0085' }],
    ['tool_allow_list[0]', { tool_allow_list: ['search\u0085'] }],
  ])('in %s is rejected', async (field, overrides) => {
    const before = await snapshot(t);

    const response = await t.request('POST', base, { body: serverBody(`c1-${field.replace(/[^a-z0-9]+/g, '-').replace(/-$/, '')}`, overrides) });

    await expectErrorNaming(response, 400, field);
    expect(await snapshot(t)).toBe(before);
  });
});

describe('custom header named __proto__', () => {
  // "__proto__" is a valid RFC 9110 token. The record parser assigns it to a plain object,
  // where the assignment of a string is ignored, so the header and its secret vanish.
  it('is stored or rejected, never dropped', async () => {
    const body =
      '{"display_name":"Proto","slug":"proto-header","url":"https://mcp.example.com/mcp",' +
      '"auth_type":"custom_headers","custom_headers":{"__proto__":"proto-secret","X-Team":"platform"}}';

    const response = await t.request('POST', base, { body });

    if (response.status !== 201) {
      await expectErrorNaming(response, 400, 'custom_headers.__proto__');
      return;
    }
    const { id } = await response.json();
    const stored = (await t.database.db.execute(
      sql`SELECT custom_headers AS value, custom_headers_key_id AS key_id FROM mcp_server_configs WHERE id = ${id}`,
    )) as unknown as { rows: { value: string; key_id: string }[] };
    const row = stored.rows[0]!;
    const plaintext = await t.keyring.decrypt(t.database.db, secretColumns.customHeaders, id, row.value, row.key_id);
    expect(Object.keys(JSON.parse(plaintext))).toContain('__proto__');
  });

  it('alone is named in the error', async () => {
    const body =
      '{"display_name":"Proto","slug":"proto-only","url":"https://mcp.example.com/mcp",' +
      '"auth_type":"custom_headers","custom_headers":{"__proto__":"proto-secret"}}';

    const response = await t.request('POST', base, { body });

    await expectErrorNaming(response, 400, 'custom_headers.__proto__');
  });
});

describe('headers the outbound client rejects', () => {
  // Node's fetch (undici) throws "expect header not supported" for any request carrying
  // Expect, so a server configured with it can never be reached.
  it('Expect as a custom header is rejected', async () => {
    const before = await snapshot(t);

    const response = await t.request('POST', base, {
      body: serverBody('expect-header', { auth_type: 'custom_headers', custom_headers: { Expect: '100-continue' } }),
    });

    await expectErrorNaming(response, 400, 'custom_headers.Expect');
    expect(await snapshot(t)).toBe(before);
  });

  it('Expect as api_key_header is rejected', async () => {
    const response = await t.request('POST', base, {
      body: serverBody('expect-key', { auth_type: 'api_key', api_key_header: 'Expect', api_key_value: 'key-value' }),
    });

    await expectErrorNaming(response, 400, 'api_key_header');
  });
});

describe('URL credentials and fragment markers', () => {
  // The URL parser reports an empty username and an empty hash for these, so the checks
  // pass while the stored string still carries "@" and "#".
  it.each([
    ['empty userinfo', 'https://@mcp.example.com/mcp'],
    ['empty password', 'https://:@mcp.example.com/mcp'],
    ['empty fragment', 'https://mcp.example.com/mcp#'],
  ])('%s is rejected', async (name, url) => {
    const response = await t.request('POST', base, { body: serverBody(`url-marker-${name.replace(/ /g, '-')}`, { url }) });

    await expectErrorNaming(response, 400, 'url');
  });
});

describe('JSON media type accepted by the body guard', () => {
  // The body guard allows "+" inside the structured-syntax prefix, but the route's
  // validator does not. Its 415 reaches the client without the error code and detail.
  it('gets 415 unsupported_media_type, not bad_request', async () => {
    const id = (await (await t.request('POST', base, { body: serverBody('media-type') })).json()).id;

    const response = await t.request('PATCH', `${base}/${id}`, {
      body: { enabled: true },
      headers: { 'Content-Type': 'application/vnd.a+b+json' },
    });

    expect(response.status).toBe(415);
    expect((await response.json()).code).toBe('unsupported_media_type');
  });
});

describe('rejected PATCH with a secret', () => {
  // The secret is encrypted, which creates the first data key through the key provider,
  // before the row is looked up and the auth rules are checked.
  it('creates no data key', async () => {
    const fresh = await createTestApp();
    try {
      const id = (await (await fresh.request('POST', base, { body: serverBody('rule-break') })).json()).id;
      const before = await snapshot(fresh);

      const unknown = await fresh.request('PATCH', `${base}/00000000-0000-4000-8000-000000000000`, {
        body: { api_key_value: 'never-stored' },
      });
      expect(unknown.status).toBe(404);
      expect(await snapshot(fresh)).toBe(before);

      const ruleBreak = await fresh.request('PATCH', `${base}/${id}`, { body: { api_key_value: 'never-stored' } });
      await expectErrorNaming(ruleBreak, 400, 'api_key_value');
      expect(await snapshot(fresh)).toBe(before);
    } finally {
      await fresh.close();
    }
  });
});

describe('auth_connected with a refresh token', () => {
  // The product contract: for oauth2, true when the caller's token is unexpired or can be
  // refreshed. The query only looks at the expiry.
  it('is true for an expired token that has a refresh token', async () => {
    const created = await t.request('POST', base, {
      body: serverBody('refreshable', {
        enabled: true,
        auth_type: 'oauth2',
        oauth2_client_id: 'client',
        oauth2_auth_url: 'https://auth.example.com/authorize',
        oauth2_token_url: 'https://auth.example.com/token',
        oauth2_client_secret: 'client-secret',
      }),
    });
    const server = await created.json();
    const db = t.database.db;
    const key = (await db.execute(sql`SELECT active_key_digest AS digest FROM dbcrypt_keys LIMIT 1`)) as unknown as {
      rows: { digest: string }[];
    };
    const digest = key.rows[0]!.digest;
    const userId = await userIdForSubject('member-1');
    await db.execute(sql`INSERT INTO users (id, subject, username) VALUES (${userId}, 'member-1', 'Mel Member')`);
    await db.execute(sql`
      INSERT INTO mcp_server_user_tokens
        (mcp_server_config_id, user_id, access_token, access_token_key_id, refresh_token, refresh_token_key_id, expiry)
      VALUES (${server.id}, ${userId}, 'v1:opaque', ${digest}, 'v1:opaque', ${digest}, now() - interval '1 hour')`);

    const response = await t.request('GET', `${base}/${server.id}`, { as: 'member' });

    expect(response.status).toBe(200);
    expect((await response.json()).auth_connected).toBe(true);
  });
});
