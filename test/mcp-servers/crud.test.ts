import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chats, mcpServerUserTokens, users } from '../../db/schema.js';
import { userIdForSubject } from '../../db/users.js';
import { secretColumns } from '../../db/crypto/index.js';
import { createTestApp, serverBody, type TestApp } from '../support/harness.js';

const base = '/api/experimental/mcp/servers';
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function create(slug: string, overrides: Record<string, unknown> = {}) {
  const response = await t.request('POST', base, { body: serverBody(slug, overrides) });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as Record<string, unknown> & { id: string };
}

describe('POST /api/experimental/mcp/servers', () => {
  it('applies defaults and returns the admin view', async () => {
    const server = await create('defaults');
    expect(server).toMatchObject({
      slug: 'defaults',
      description: '',
      icon_url: '',
      transport: 'streamable_http',
      auth_type: 'none',
      availability: 'default_off',
      enabled: false,
      api_key_header: 'Authorization',
      has_api_key: false,
      has_oauth2_secret: false,
      has_custom_headers: false,
      tool_allow_list: [],
      tool_deny_list: [],
      auth_connected: true,
    });
    expect(Date.parse(server.created_at as string)).not.toBeNaN();
  });

  it('trims strings and normalises tool lists', async () => {
    const server = await create('trimmed', {
      display_name: '  Linear  ',
      description: '  Issues and projects \n',
      tool_allow_list: [' list_issues', 'create_issue', 'list_issues '],
      tool_deny_list: ['delete_issue', 'delete_issue'],
      auth_type: 'oauth2',
      oauth2_client_id: ' client ',
      oauth2_auth_url: 'https://auth.example.com/authorize',
      oauth2_token_url: 'https://auth.example.com/token',
      oauth2_scopes: '  read   write read ',
    });
    expect(server.display_name).toBe('Linear');
    expect(server.description).toBe('Issues and projects');
    expect(server.tool_allow_list).toEqual(['create_issue', 'list_issues']);
    expect(server.tool_deny_list).toEqual(['delete_issue']);
    expect(server.oauth2_scopes).toBe('read write');
  });

  it('returns has_* flags and never the secrets', async () => {
    const apiKey = await create('with-api-key', { auth_type: 'api_key', api_key_header: 'X-Api-Key', api_key_value: 'sk-live-123' });
    expect(apiKey).toMatchObject({ has_api_key: true, api_key_header: 'X-Api-Key' });
    expect(JSON.stringify(apiKey)).not.toContain('sk-live-123');
    expect(apiKey).not.toHaveProperty('api_key_value');

    const headers = await create('with-headers', { auth_type: 'custom_headers', custom_headers: { 'X-Team': 'team-secret' } });
    expect(headers.has_custom_headers).toBe(true);
    expect(headers).not.toHaveProperty('custom_headers');

    const oauth = await create('with-oauth', {
      auth_type: 'oauth2',
      oauth2_client_id: 'client-1',
      oauth2_client_secret: 'client-secret-1',
      oauth2_auth_url: 'https://auth.example.com/authorize',
      oauth2_token_url: 'https://auth.example.com/token',
    });
    expect(oauth).toMatchObject({ has_oauth2_secret: true, auth_connected: false, oauth2_client_id: 'client-1' });
  });

  it('answers 409 naming slug for a duplicate', async () => {
    await create('taken');
    const response = await t.request('POST', base, { body: serverBody('taken') });
    expect(response.status).toBe(409);
    const body = await response.json();
    expect(body.code).toBe('conflict');
    expect(body.validations).toEqual([{ field: 'slug', detail: expect.any(String) }]);
  });
});

describe('GET /api/experimental/mcp/servers', () => {
  it('shows admins every server and members only enabled ones, redacted', async () => {
    const hidden = await create('list-hidden');
    const enabledServer = await create('list-shown', {
      enabled: true,
      auth_type: 'api_key',
      api_key_header: 'X-Key',
      api_key_value: 'k',
      tool_allow_list: ['a'],
    });

    const adminList = (await (await t.request('GET', base)).json()) as { id: string }[];
    expect(adminList.map((s) => s.id)).toEqual(expect.arrayContaining([hidden.id, enabledServer.id]));

    const memberResponse = await t.request('GET', base, { as: 'member' });
    expect(memberResponse.status).toBe(200);
    const memberList = (await memberResponse.json()) as Record<string, unknown>[];
    expect(memberList.map((s) => s.id)).not.toContain(hidden.id);
    const redacted = memberList.find((s) => s.id === enabledServer.id);
    expect(redacted).toMatchObject({
      url: '',
      transport: '',
      api_key_header: '',
      oauth2_client_id: '',
      oauth2_auth_url: '',
      oauth2_token_url: '',
      oauth2_scopes: '',
      has_api_key: true,
      tool_allow_list: ['a'],
      auth_connected: true,
    });
  });

  it('orders by slug', async () => {
    const list = (await (await t.request('GET', base)).json()) as { slug: string }[];
    const slugs = list.map((s) => s.slug);
    expect(slugs).toEqual([...slugs].sort());
  });
});

describe('GET /api/experimental/mcp/servers/{id}', () => {
  it('returns 404 to members for a disabled server and 200 to admins', async () => {
    const server = await create('get-disabled');
    expect((await t.request('GET', `${base}/${server.id}`, { as: 'member' })).status).toBe(404);
    expect((await t.request('GET', `${base}/${server.id}`)).status).toBe(200);
  });

  it('returns 404 for an unknown id and 400 for a malformed one', async () => {
    expect((await t.request('GET', `${base}/${crypto.randomUUID()}`)).status).toBe(404);
    const malformed = await t.request('GET', `${base}/not-a-uuid`);
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).validations).toEqual([{ field: 'id', detail: 'Expected a UUID.' }]);
  });

  it('reports auth_connected from the caller’s own unexpired token', async () => {
    const server = await create('connected', {
      enabled: true,
      auth_type: 'oauth2',
      oauth2_client_id: 'c',
      oauth2_auth_url: 'https://auth.example.com/a',
      oauth2_token_url: 'https://auth.example.com/t',
    });
    await insertToken(server.id, 'member-1', new Date(Date.now() + 3600_000));
    await insertToken(server.id, 'member-2', new Date(Date.now() - 1000));

    const member = await (await t.request('GET', `${base}/${server.id}`, { as: 'member' })).json();
    const other = await (await t.request('GET', `${base}/${server.id}`, { as: 'otherMember' })).json();
    const admin = await (await t.request('GET', `${base}/${server.id}`)).json();
    expect(member.auth_connected).toBe(true);
    expect(other.auth_connected).toBe(false);
    expect(admin.auth_connected).toBe(false);
  });
});

describe('PATCH /api/experimental/mcp/servers/{id}', () => {
  it('changes only the fields present', async () => {
    const server = await create('patch-partial', { description: 'before', tool_deny_list: ['x'] });
    const response = await t.request('PATCH', `${base}/${server.id}`, { body: { enabled: true } });
    expect(response.status).toBe(200);
    const updated = await response.json();
    expect(updated).toMatchObject({ enabled: true, description: 'before', tool_deny_list: ['x'] });
    expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(server.updated_at as string));
  });

  it('clears the old auth type’s fields, secrets and tokens when auth_type changes', async () => {
    const server = await create('patch-auth-change', {
      auth_type: 'oauth2',
      oauth2_client_id: 'client',
      oauth2_client_secret: 'secret',
      oauth2_auth_url: 'https://auth.example.com/a',
      oauth2_token_url: 'https://auth.example.com/t',
      oauth2_scopes: 'read',
    });
    await insertToken(server.id, 'member-1', null);

    const response = await t.request('PATCH', `${base}/${server.id}`, {
      body: { auth_type: 'api_key', api_key_value: 'new-key' },
    });
    expect(response.status).toBe(200);
    const updated = await response.json();
    expect(updated).toMatchObject({
      auth_type: 'api_key',
      oauth2_client_id: '',
      has_oauth2_secret: false,
      oauth2_auth_url: '',
      oauth2_token_url: '',
      oauth2_scopes: '',
      has_api_key: true,
    });
    const tokens = await t.database.db.select().from(mcpServerUserTokens).where(sql`${mcpServerUserTokens.mcpServerConfigId} = ${server.id}`);
    expect(tokens).toHaveLength(0);

    const back = await (await t.request('PATCH', `${base}/${server.id}`, { body: { auth_type: 'none' } })).json();
    expect(back).toMatchObject({ auth_type: 'none', has_api_key: false, api_key_header: 'Authorization' });
  });

  it('removes a secret sent as null and keeps one left out', async () => {
    const server = await create('patch-secret', {
      auth_type: 'oauth2',
      oauth2_client_id: 'client',
      oauth2_client_secret: 'secret',
      oauth2_auth_url: 'https://auth.example.com/a',
      oauth2_token_url: 'https://auth.example.com/t',
    });
    const unchanged = await (await t.request('PATCH', `${base}/${server.id}`, { body: { oauth2_scopes: 'a b' } })).json();
    expect(unchanged.has_oauth2_secret).toBe(true);
    const removed = await (await t.request('PATCH', `${base}/${server.id}`, { body: { oauth2_client_secret: null } })).json();
    expect(removed.has_oauth2_secret).toBe(false);
  });

  it('checks the per-auth-type rules on the merged result', async () => {
    const server = await create('patch-rules');
    const response = await t.request('PATCH', `${base}/${server.id}`, { body: { auth_type: 'api_key' } });
    expect(response.status).toBe(400);
    expect((await response.json()).validations).toEqual([{ field: 'api_key_value', detail: expect.any(String) }]);
  });

  it('rejects a taken slug and an unknown id', async () => {
    await create('patch-taken');
    const server = await create('patch-mine');
    expect((await t.request('PATCH', `${base}/${server.id}`, { body: { slug: 'patch-taken' } })).status).toBe(409);
    expect((await t.request('PATCH', `${base}/${crypto.randomUUID()}`, { body: { enabled: true } })).status).toBe(404);
  });
});

describe('DELETE /api/experimental/mcp/servers/{id}', () => {
  it('deletes, cascades tokens and removes the id from every chat', async () => {
    const server = await create('delete-me', { enabled: true });
    const keep = await create('delete-keep', { enabled: true });
    await insertToken(server.id, 'member-1', null);
    const ownerId = await userIdForSubject('member-1');
    const [chat] = await t.database.db
      .insert(chats)
      .values({ ownerId, title: 'chat', mcpServerIds: [server.id, keep.id] })
      .returning();

    const response = await t.request('DELETE', `${base}/${server.id}`);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');

    const [after] = await t.database.db.select().from(chats).where(sql`${chats.id} = ${chat!.id}`);
    expect(after!.mcpServerIds).toEqual([keep.id]);
    const tokens = await t.database.db.select().from(mcpServerUserTokens).where(sql`${mcpServerUserTokens.mcpServerConfigId} = ${server.id}`);
    expect(tokens).toHaveLength(0);
    expect((await t.request('DELETE', `${base}/${server.id}`)).status).toBe(404);
    expect((await t.request('GET', `${base}/${server.id}`)).status).toBe(404);
  });
});

/** Stores a token for `subject` through the encryption layer, as the OAuth callback does. */
async function insertToken(serverId: string, subject: string, expiry: Date | null) {
  const db = t.database.db;
  const userId = await userIdForSubject(subject);
  await db.insert(users).values({ id: userId, subject, username: subject }).onConflictDoNothing();
  const encryptor = await t.keyring.encryptor(db);
  const rowId = `${serverId}/${userId}`;
  await db.insert(mcpServerUserTokens).values({
    mcpServerConfigId: serverId,
    userId,
    accessToken: await encryptor.encrypt(secretColumns.accessToken, rowId, 'access-token-value'),
    accessTokenKeyId: encryptor.keyId,
    expiry,
  });
}

describe('PATCH of an OAuth server’s endpoints', () => {
  it.each([
    ['url', { url: 'https://elsewhere.example.com/mcp' }],
    ['client id', { oauth2_client_id: 'another-client' }],
    ['token url', { oauth2_token_url: 'https://evil.example.com/token' }],
  ])('deletes users’ tokens when the %s changes', async (_name, patch) => {
    const server = await create(`audience-${Object.keys(patch)[0]!.replace(/_/g, '-')}`, {
      enabled: true,
      auth_type: 'oauth2',
      oauth2_client_id: 'c',
      oauth2_auth_url: 'https://auth.example.com/a',
      oauth2_token_url: 'https://auth.example.com/t',
    });
    await insertToken(server.id, 'member-1', null);

    expect((await t.request('PATCH', `${base}/${server.id}`, { body: patch })).status).toBe(200);

    const member = await (await t.request('GET', `${base}/${server.id}`, { as: 'member' })).json();
    expect(member.auth_connected).toBe(false);
  });

  it('keeps tokens when only the description changes', async () => {
    const server = await create('audience-same', {
      enabled: true,
      auth_type: 'oauth2',
      oauth2_client_id: 'c',
      oauth2_auth_url: 'https://auth.example.com/a',
      oauth2_token_url: 'https://auth.example.com/t',
    });
    await insertToken(server.id, 'member-1', null);
    await t.request('PATCH', `${base}/${server.id}`, { body: { description: 'new words', url: 'https://mcp.example.com/audience-same' } });
    const member = await (await t.request('GET', `${base}/${server.id}`, { as: 'member' })).json();
    expect(member.auth_connected).toBe(true);
  });
});
