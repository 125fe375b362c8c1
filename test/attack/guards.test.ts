/**
 * Hostile-client probes that the configuration API withstands today: each one guards a
 * property that a regression would break. Every response body and log line is kept and
 * scanned at the end for the secrets and tokens the probes sent.
 */
import { sql } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userIdForSubject } from '../../db/users.js';
import { createTestApp, serverBody, testJwtSecret, type Caller, type TestApp, type TestResponse } from '../support/harness.js';
import { base, expectErrorNaming, rawRequest, signToken, snapshot } from './support.js';

/** Distinctive values: any appearance in a response or a log line is a leak. */
const secret = {
  apiKey: 'attack-probe-api-key-5d1c8e',
  header: 'attack-probe-header-value-a93f27',
  client: 'attack-probe-client-secret-3e7b40',
  rejected: 'attack-probe-rejected-value-7c0d52',
};

let t: TestApp;
const transcript: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** Sends a request through the harness and keeps the whole response for the leak scan. */
async function send(
  method: string,
  path: string,
  options: { as?: Caller; body?: unknown; headers?: Record<string, string> } = {},
): Promise<TestResponse> {
  const response = await t.request(method, path, options);
  transcript.push(`${response.status} ${JSON.stringify([...response.headers])} ${await response.clone().text()}`);
  return response;
}

async function create(slug: string, overrides: Record<string, unknown> = {}): Promise<{ id: string }> {
  const response = await send('POST', base, { body: serverBody(slug, overrides) });
  expect(response.status).toBe(201);
  return response.json();
}

/** Sends `body` and asserts a 400 naming `field` with nothing written. */
async function expectRejected(method: string, path: string, body: unknown, field: string): Promise<void> {
  const before = await snapshot(t);
  const response = await send(method, path, { body });
  await expectErrorNaming(response, 400, field);
  expect(await snapshot(t)).toBe(before);
}

describe('malformed bodies', () => {
  it.each([
    ['truncated JSON', '{"display_name":', 'malformed_json'],
    ['empty body', '', 'malformed_json'],
    ['null', 'null', 'validation_failed'],
    ['array', '[]', 'validation_failed'],
    ['string', '"server"', 'validation_failed'],
  ])('%s gets 400 on the body', async (_case, body, code) => {
    const before = await snapshot(t);

    const response = await send('POST', base, { body });

    expect(response.status).toBe(400);
    const error = await response.json();
    expect(error.code).toBe(code);
    expect(error.validations.map((v: { field: string }) => v.field)).toContain('body');
    expect(await snapshot(t)).toBe(before);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form', 'application/x-www-form-urlencoded'],
    ['empty', ''],
  ])('content type %s gets 415', async (_case, type) => {
    const before = await snapshot(t);

    const response = await send('POST', base, { body: JSON.stringify(serverBody('media')), headers: { 'Content-Type': type } });

    expect(response.status).toBe(415);
    expect((await response.json()).code).toBe('unsupported_media_type');
    expect(await snapshot(t)).toBe(before);
  });

  it('body over 64 KiB gets 413 without a Content-Length', async () => {
    const body = JSON.stringify(serverBody('too-large', { description: 'a'.repeat(70 * 1024) }));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = new TextEncoder().encode(body);
        for (let at = 0; at < bytes.length; at += 8192) controller.enqueue(bytes.subarray(at, at + 8192));
        controller.close();
      },
    });
    const before = await snapshot(t);

    const response = (await t.app.request(base, {
      method: 'POST',
      headers: { Authorization: `Bearer ${t.tokens.admin}`, 'Content-Type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit)) as TestResponse;

    expect(response.status).toBe(413);
    expect((await response.json()).code).toBe('payload_too_large');
    expect(await snapshot(t)).toBe(before);
  });

  it('duplicate keys take the last value', async () => {
    const { id } = await create('duplicate-keys');

    const response = await send('PATCH', `${base}/${id}`, { body: '{"enabled":true,"enabled":false}' });

    expect(response.status).toBe(200);
    expect((await response.json()).enabled).toBe(false);
  });
});

describe('field values', () => {
  it.each([
    ['__proto__', '{"display_name":"P","slug":"proto-top","url":"https://mcp.example.com/","__proto__":{"enabled":true}}'],
    ['constructor', '{"display_name":"P","slug":"ctor-top","url":"https://mcp.example.com/","constructor":{"prototype":{}}}'],
    ['has_api_key', { ...serverBody('read-only'), has_api_key: true }],
    ['id', { ...serverBody('read-only-id'), id: '00000000-0000-4000-8000-000000000000' }],
    ['created_at', { ...serverBody('read-only-created'), created_at: '2000-01-01T00:00:00Z' }],
  ])('unknown or read-only field %s is rejected', async (field, body) => {
    await expectRejected('POST', base, body, field);
    expect(Object.prototype).not.toHaveProperty('enabled');
    expect(Object.prototype).not.toHaveProperty('prototype');
  });

  it.each([
    ['display_name', null],
    ['slug', null],
    ['url', null],
    ['enabled', 'true'],
    ['enabled', null],
    ['transport', 'websocket'],
    ['auth_type', 'basic'],
    ['availability', 'ALWAYS'],
    ['tool_allow_list', null],
    ['tool_allow_list', 'search'],
    ['tool_deny_list[0]', [1]],
    ['description', 42],
    ['display_name', 'x'.repeat(101)],
    ['display_name', '   '],
    ['display_name', 'tab\there'],
    ['description', 'bell\u0007'],
    ['slug', 'Upper'],
    ['slug', 'a--b'],
    ['slug', 'a'.repeat(64)],
    ['url', '/relative/mcp'],
    ['url', 'javascript:alert(1)'],
    ['url', 'data:text/plain,hi'],
    ['url', 'ftp://mcp.example.com/'],
    ['url', 'https://user:pass@mcp.example.com/'],
    ['url', 'https://mcp.example.com/#frag'],
    ['url', 'https://mcp.example.com/a b'],
    ['url', 'https://mcp.example.com/a\nb'],
    ['url', `https://mcp.example.com/${'a'.repeat(2048)}`],
    ['url', 'http://mcp.example.com/'],
    ['url', 'http://[fe80::1]/mcp'],
    ['url', 'http://0.0.0.0/mcp'],
    ['icon_url', 'data:image/png;base64,AAAA'],
    ['oauth2_scopes', 'read "write"'],
  ])('%s = %j is rejected', async (field, value) => {
    const overrides: Record<string, unknown> = { [field.replace(/\[\d+\]$/, '')]: value };
    if (field === 'oauth2_scopes') overrides.auth_type = 'oauth2';
    await expectRejected('POST', base, { ...serverBody('bad-value'), ...overrides }, field);
  });

  it('thousands of tool names are rejected', async () => {
    const names = Array.from({ length: 4000 }, (_, i) => `tool_${i}`);
    await expectRejected('POST', base, serverBody('many-tools', { tool_allow_list: names }), 'tool_allow_list');
  });

  it('IDN, IPv6 loopback and percent-encoded URLs are accepted', async () => {
    for (const [slug, url] of [
      ['idn', 'https://ёлка.рф/mcp'],
      ['ipv6-loopback', 'http://[::1]:8080/mcp'],
      ['percent', 'https://mcp.example.com/%2e%2e/%00'],
    ] as const) {
      const response = await send('POST', base, { body: serverBody(slug, { url }) });
      expect(response.status).toBe(201);
      expect((await response.json()).url).toBe(url);
    }
  });

  it.each([
    ['api_key_value', { auth_type: 'api_key', api_key_value: `${secret.rejected}\r\nX-Injected: 1` }],
    ['api_key_value', { auth_type: 'api_key', api_key_value: `${secret.rejected}é` }],
    ['api_key_header', { auth_type: 'api_key', api_key_header: 'X-Key\r\nX-Injected: 1', api_key_value: secret.rejected }],
    ['api_key_header', { auth_type: 'api_key', api_key_header: 'Host', api_key_value: secret.rejected }],
    ['custom_headers.X-Team', { auth_type: 'custom_headers', custom_headers: { 'X-Team': `${secret.rejected}\nX-Injected: 1` } }],
    ['custom_headers.X-Team\r\nX-Injected', { auth_type: 'custom_headers', custom_headers: { 'X-Team\r\nX-Injected': secret.rejected } }],
    ['custom_headers.Transfer-Encoding', { auth_type: 'custom_headers', custom_headers: { 'Transfer-Encoding': secret.rejected } }],
    ['custom_headers.X-Team', { auth_type: 'custom_headers', custom_headers: { 'x-team': secret.rejected, 'X-Team': secret.rejected } }],
    ['custom_headers.X-Team', { auth_type: 'custom_headers', custom_headers: { 'X-Team': '   ' } }],
    ['custom_headers', { auth_type: 'custom_headers', custom_headers: {} }],
    ['custom_headers', { auth_type: 'custom_headers', custom_headers: [secret.rejected] }],
    [
      'custom_headers',
      { auth_type: 'custom_headers', custom_headers: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`X-${i}`, secret.rejected])) },
    ],
    ['custom_headers.X-Team', { auth_type: 'custom_headers', custom_headers: { 'X-Team': { nested: secret.rejected } } }],
  ])('header injection is rejected on %s', async (field, overrides) => {
    await expectRejected('POST', base, serverBody('header-injection', overrides), field);
  });
});

describe('ids and paths', () => {
  it('odd-cased UUID addresses the same server', async () => {
    const { id } = await create('upper-id');

    const response = await send('GET', `${base}/${id.toUpperCase()}`);

    expect(response.status).toBe(200);
    expect((await response.json()).id).toBe(id);
  });

  it.each(['not-a-uuid', '00000000-0000-0000-0000-00000000000g', '{00000000-0000-0000-0000-000000000000}', "1' OR '1'='1"])(
    'id %s gets 400 on id',
    async (id) => {
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const response = await send(method, `${base}/${encodeURIComponent(id)}`, method === 'PATCH' ? { body: {} } : {});
        await expectErrorNaming(response, 400, 'id');
      }
    },
  );

  it.each([`${base}/`, `/api/experimental//mcp/servers`, `${base}/x/y`])('path %s gets 404 route_not_found', async (path) => {
    const response = await send('GET', path);

    expect(response.status).toBe(404);
    expect((await response.json()).code).toBe('route_not_found');
  });

  it('method override header is ignored', async () => {
    const { id } = await create('override');

    const response = await send('POST', `${base}/${id}`, { body: {}, headers: { 'X-HTTP-Method-Override': 'DELETE' } });

    expect(response.status).toBe(404);
    expect((await send('GET', `${base}/${id}`)).status).toBe(200);
  });
});

describe('tokens', () => {
  const cases: [string, () => Promise<string>][] = [
    ['roles as number', () => signToken({ sub: 'odd-roles', roles: 1 })],
    ['roles as object', () => signToken({ sub: 'odd-roles', roles: { admin: true } })],
    ['roles as null', () => signToken({ sub: 'odd-roles', roles: null })],
    ['sub over 255 characters', () => signToken({ sub: 's'.repeat(256), roles: ['admin'] })],
    ['sub as number', () => signToken({ sub: 7 as unknown as string, roles: ['admin'] })],
    ['missing sub', () => signToken({ roles: ['admin'] })],
    ['missing exp', () => signToken({ sub: 'no-exp', roles: ['admin'], exp: undefined })],
    ['exp as string', () => signToken({ sub: 'exp-string', roles: ['admin'], exp: 'never' as unknown as number })],
    ['nbf in the future', () => signToken({ sub: 'nbf', roles: ['admin'], nbf: Math.floor(Date.now() / 1000) + 3600 })],
    ['alg none', async () => unsigned({ alg: 'none' }, { sub: 'none', roles: ['admin'] })],
    ['alg HS384', () => signHs384({ sub: 'hs384', roles: ['admin'] })],
  ];

  it.each(cases)('%s gets 401', async (_case, make) => {
    const token = await make();
    const before = await snapshot(t);

    const response = await rawRequest(t, 'POST', base, {
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(serverBody('odd-token')),
    });

    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toMatch(/^Bearer realm="switchboard"/);
    expect((await response.json()).code).toBe('unauthenticated');
    expect(await snapshot(t)).toBe(before);
  });

  it('kid is ignored for the local secret', async () => {
    const token = await signToken({ sub: 'kid-games', roles: [] }, { kid: '../../dev-jwt-secret' });

    const response = await rawRequest(t, 'GET', base, { headers: { Authorization: `Bearer ${token}` } });

    expect(response.status).toBe(200);
  });

  it('role names are exact', async () => {
    for (const roles of [['Admin'], ['admin '], ['administrator'], 'Admin']) {
      const token = await signToken({ sub: 'near-admin', roles });
      const response = await rawRequest(t, 'POST', base, {
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(serverBody('near-admin')),
      });
      expect(response.status).toBe(403);
    }
  });

  it.each([
    ['Basic scheme', `Basic ${btoa('admin:admin')}`],
    ['empty token', 'Bearer '],
    ['tab separator', `Bearer\t${'x'.repeat(20)}`],
    ['two tokens', 'Bearer a.b.c, Bearer d.e.f'],
    ['no scheme', 'a.b.c'],
  ])('Authorization with %s gets 401', async (_case, header) => {
    const response = await rawRequest(t, 'GET', base, { headers: { Authorization: header } });

    expect(response.status).toBe(401);
    expect((await response.json()).code).toBe('unauthenticated');
  });

  it('authentication runs before body validation', async () => {
    const anonymous = await send('POST', base, { as: 'anonymous', body: '{"display_name":' });
    const member = await send('POST', base, { as: 'member', body: { slug: 'Not A Slug' } });

    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).validations).toEqual([]);
    expect(member.status).toBe(403);
    expect((await member.json()).validations).toEqual([]);
  });

  it('lower-case scheme is accepted', async () => {
    const response = await rawRequest(t, 'GET', base, { headers: { Authorization: `bearer ${t.tokens.member}` } });

    expect(response.status).toBe(200);
  });
});

describe('auth type switching', () => {
  /** Reads the auth settings of one row and whether each secret and its key id are stored. */
  async function storedSecrets(id: string): Promise<Record<string, boolean | string>> {
    const result = (await t.database.db.execute(sql`
      SELECT auth_type, api_key_header, oauth2_client_id, oauth2_scopes,
        oauth2_client_secret IS NOT NULL AS oauth2_secret, oauth2_client_secret_key_id IS NOT NULL AS oauth2_secret_key,
        api_key_value IS NOT NULL AS api_key, api_key_value_key_id IS NOT NULL AS api_key_key,
        custom_headers IS NOT NULL AS headers, custom_headers_key_id IS NOT NULL AS headers_key
      FROM mcp_server_configs WHERE id = ${id}`)) as unknown as { rows: Record<string, boolean | string>[] };
    return result.rows[0]!;
  }

  const oauth = {
    auth_type: 'oauth2',
    oauth2_client_id: 'client',
    oauth2_auth_url: 'https://auth.example.com/authorize',
    oauth2_token_url: 'https://auth.example.com/token',
    oauth2_scopes: 'read write',
    oauth2_client_secret: secret.client,
  };

  it('clears old secrets and keeps has_* flags truthful', async () => {
    const { id } = await create('switching', { auth_type: 'api_key', api_key_header: 'X-Api-Key', api_key_value: secret.apiKey });
    const path = `${base}/${id}`;

    const toHeaders = await (await send('PATCH', path, { body: { auth_type: 'custom_headers', custom_headers: { 'X-Team': secret.header } } })).json();
    expect(toHeaders).toMatchObject({ has_api_key: false, has_custom_headers: true, has_oauth2_secret: false, api_key_header: 'Authorization' });
    expect(await storedSecrets(id)).toMatchObject({ api_key: false, api_key_key: false, headers: true, headers_key: true });

    const toOauth = await (await send('PATCH', path, { body: oauth })).json();
    expect(toOauth).toMatchObject({ has_api_key: false, has_custom_headers: false, has_oauth2_secret: true });
    expect(await storedSecrets(id)).toMatchObject({ headers: false, headers_key: false, oauth2_secret: true });

    const toApiKey = await (await send('PATCH', path, { body: { auth_type: 'api_key', api_key_value: secret.apiKey } })).json();
    expect(toApiKey).toMatchObject({
      has_api_key: true,
      has_custom_headers: false,
      has_oauth2_secret: false,
      oauth2_client_id: '',
      oauth2_auth_url: '',
      oauth2_token_url: '',
      oauth2_scopes: '',
    });
    expect(await storedSecrets(id)).toMatchObject({ oauth2_secret: false, oauth2_secret_key: false, oauth2_client_id: '', oauth2_scopes: '' });

    const toNone = await (await send('PATCH', path, { body: { auth_type: 'none' } })).json();
    expect(toNone).toMatchObject({ has_api_key: false, has_custom_headers: false, has_oauth2_secret: false });
    expect(await storedSecrets(id)).toMatchObject({ api_key: false, api_key_key: false, headers: false, oauth2_secret: false });
  });

  it('rejects a switch that leaves the new type incomplete', async () => {
    const { id } = await create('switch-incomplete', { auth_type: 'api_key', api_key_value: secret.apiKey });

    await expectRejected('PATCH', `${base}/${id}`, { auth_type: 'custom_headers' }, 'custom_headers');
    await expectRejected('PATCH', `${base}/${id}`, { auth_type: 'none', api_key_value: secret.rejected }, 'api_key_value');
    await expectRejected('PATCH', `${base}/${id}`, { api_key_value: null }, 'api_key_value');
    await expectRejected('PATCH', `${base}/${id}`, { auth_type: 'oauth2', oauth2_client_id: 'client' }, 'oauth2_auth_url');
  });

  it('leaving oauth2 deletes the users tokens', async () => {
    const { id } = await create('leave-oauth', { ...oauth, enabled: true });
    const db = t.database.db;
    const userId = await userIdForSubject('member-1');
    await db.execute(sql`INSERT INTO users (id, subject, username) VALUES (${userId}, 'member-1', 'Mel Member') ON CONFLICT DO NOTHING`);
    const key = (await db.execute(sql`SELECT active_key_digest AS digest FROM dbcrypt_keys LIMIT 1`)) as unknown as { rows: { digest: string }[] };
    await db.execute(sql`
      INSERT INTO mcp_server_user_tokens (mcp_server_config_id, user_id, access_token, access_token_key_id)
      VALUES (${id}, ${userId}, 'v1:opaque', ${key.rows[0]!.digest})`);
    expect((await (await send('GET', `${base}/${id}`, { as: 'member' })).json()).auth_connected).toBe(true);

    const response = await send('PATCH', `${base}/${id}`, { body: { auth_type: 'none' } });

    expect(response.status).toBe(200);
    const left = (await db.execute(sql`SELECT count(*)::int AS n FROM mcp_server_user_tokens WHERE mcp_server_config_id = ${id}`)) as unknown as {
      rows: { n: number }[];
    };
    expect(left.rows[0]!.n).toBe(0);
  });
});

describe('concurrency', () => {
  it('creates with one slug give one 201 and 409s', async () => {
    const responses = await Promise.all(Array.from({ length: 8 }, () => send('POST', base, { body: serverBody('same-slug') })));

    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  });

  it('patches to one slug give one 200 and a 409', async () => {
    const [a, b] = [await create('race-a'), await create('race-b')];

    const responses = await Promise.all([
      send('PATCH', `${base}/${a.id}`, { body: { slug: 'race-target' } }),
      send('PATCH', `${base}/${b.id}`, { body: { slug: 'race-target' } }),
    ]);

    expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
  });

  it('delete racing patches leaves no row and no 500', async () => {
    const { id } = await create('race-delete', { auth_type: 'api_key', api_key_value: secret.apiKey });

    const responses = await Promise.all([
      send('PATCH', `${base}/${id}`, { body: { api_key_value: secret.apiKey } }),
      send('DELETE', `${base}/${id}`),
      send('PATCH', `${base}/${id}`, { body: { auth_type: 'none' } }),
      send('DELETE', `${base}/${id}`),
    ]);

    for (const response of responses) expect(response.status).toBeLessThan(500);
    expect(responses.filter((r) => r.status === 204)).toHaveLength(1);
    expect((await send('GET', `${base}/${id}`)).status).toBe(404);
  });

  it('auth type patches racing keep has_* flags truthful', async () => {
    const { id } = await create('race-switch', { auth_type: 'api_key', api_key_value: secret.apiKey });

    await Promise.all([
      send('PATCH', `${base}/${id}`, { body: { auth_type: 'custom_headers', custom_headers: { 'X-Team': secret.header } } }),
      send('PATCH', `${base}/${id}`, { body: { api_key_value: secret.apiKey } }),
      send('PATCH', `${base}/${id}`, { body: { auth_type: 'none' } }),
      send('PATCH', `${base}/${id}`, { body: { auth_type: 'api_key', api_key_value: secret.apiKey } }),
    ]);

    const view = await (await send('GET', `${base}/${id}`)).json();
    expect(view.has_api_key).toBe(view.auth_type === 'api_key');
    expect(view.has_custom_headers).toBe(view.auth_type === 'custom_headers');
    expect(view.has_oauth2_secret).toBe(false);
  });
});

describe('members', () => {
  it('never see disabled servers or admin-only fields', async () => {
    await create('member-hidden', { auth_type: 'api_key', api_key_header: 'X-Hidden', api_key_value: secret.apiKey });
    await create('member-shown', {
      enabled: true,
      auth_type: 'oauth2',
      oauth2_client_id: 'client',
      oauth2_auth_url: 'https://auth.example.com/authorize',
      oauth2_token_url: 'https://auth.example.com/token',
      oauth2_scopes: 'read',
    });

    const list = await (await send('GET', base, { as: 'member' })).json();

    expect(list.every((server: { enabled: boolean }) => server.enabled)).toBe(true);
    expect(list.map((server: { slug: string }) => server.slug)).not.toContain('member-hidden');
    for (const server of list) {
      for (const field of ['url', 'transport', 'oauth2_client_id', 'oauth2_auth_url', 'oauth2_token_url', 'oauth2_scopes', 'api_key_header']) {
        expect(server[field]).toBe('');
      }
    }
  });

  it('get the same 404 for a disabled and an unknown id', async () => {
    const { id } = await create('member-disabled');

    const disabled = await send('GET', `${base}/${id}`, { as: 'member' });
    const unknown = await send('GET', `${base}/00000000-0000-4000-8000-000000000000`, { as: 'member' });

    expect(disabled.status).toBe(404);
    expect(await disabled.text()).toBe(await unknown.text());
  });
});

describe('leak scan', () => {
  it('no secret or token reaches a response or a log line', () => {
    const tokens = Object.values(t.tokens);
    const haystacks = [...transcript, ...t.logs];
    for (const needle of [...Object.values(secret), ...tokens]) {
      for (const haystack of haystacks) expect(haystack).not.toContain(needle);
    }
    expect(transcript.length).toBeGreaterThan(50);
  });
});

function unsigned(header: object, payload: object): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode(header)}.${encode({ exp: Math.floor(Date.now() / 1000) + 3600, ...payload })}.`;
}

function signHs384(payload: Record<string, unknown>): Promise<string> {
  return new SignJWT({ exp: Math.floor(Date.now() / 1000) + 3600, ...payload })
    .setProtectedHeader({ alg: 'HS384' })
    .sign(new TextEncoder().encode(testJwtSecret));
}
