import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretColumns } from '../../db/crypto/index.js';
import { mcpServerToolSnapshots, mcpServerUserTokens, users } from '../../db/schema.js';
import { upsertUser, userIdForSubject } from '../../db/users.js';
import { signDevToken } from '../../functions/auth/tokens.js';
import { createTestApp, serverBody, testJwtSecret, type Caller, type TestApp } from '../support/harness.js';
import { mcpCredentials, startTestMcpServers, type McpTestPath, type TestMcpServers } from '../support/mcp-servers.js';

const port = 31463;
let t: TestApp;
let mcp: TestMcpServers;
type ServerName = 'files' | 'team' | 'oauth' | 'hang' | 'garbage' | 'many' | 'closed' | 'wrongKey' | 'hidden';
const ids = {} as Record<ServerName, string>;
const responses: string[] = [];

async function call(method: string, path: string, as: Caller = 'member', body?: unknown): // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked field by field
Promise<{ status: number; body: any }> {
  const response = await t.request(method, `/api/experimental${path}`, { as, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  responses.push(text);
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function register(slug: string, path: McpTestPath, overrides: Record<string, unknown>): Promise<string> {
  const { status, body } = await call('POST', '/mcp/servers', 'admin', serverBody(slug, { url: mcp.url(path), enabled: true, ...overrides }));
  expect(status).toBe(201);
  return body.id;
}

/** Stores an OAuth token for a user the way the OAuth callback does, through the encryption layer. */
async function connectUser(subject: string, serverId: string, token: string, expiry: Date | null = null): Promise<void> {
  const db = t.database.db;
  const userId = await userIdForSubject(subject);
  await upsertUser(db, { kind: 'user', userId, subject, username: subject, email: null, roles: [], isAdmin: false });
  const encryptor = await t.keyring.encryptor(db);
  const id = crypto.randomUUID();
  await db.insert(mcpServerUserTokens).values({
    id,
    mcpServerConfigId: serverId,
    userId,
    accessToken: await encryptor.encrypt(secretColumns.accessToken, id, token),
    accessTokenKeyId: encryptor.keyId,
    expiry,
  });
}

function requestsTo(path: McpTestPath): number {
  return mcp.requests.filter((request) => request.path === path).length;
}

async function chatTools(chatId: string, as: Caller = 'member') {
  const { status, body } = await call('GET', `/chats/${chatId}/tools`, as);
  expect(status).toBe(200);
  return body;
}

async function newChat(mcpServerIds: string[] | undefined, as: Caller = 'member'): Promise<string> {
  const { status, body } = await call('POST', '/chats', as, { title: 'Work', content: 'Hi', ...(mcpServerIds ? { mcp_server_ids: mcpServerIds } : {}) });
  expect(status).toBe(201);
  return body.id;
}

beforeAll(async () => {
  mcp = await startTestMcpServers(port);
  t = await createTestApp({ environment: { MCP_CONNECT_TIMEOUT_MS: '5000' } });
  ids.files = await register('files', '/api-key/mcp', {
    auth_type: 'api_key',
    api_key_header: mcpCredentials.apiKeyHeader,
    api_key_value: mcpCredentials.apiKey,
  });
  ids.team = await register('team', '/custom-headers/mcp', {
    auth_type: 'custom_headers',
    custom_headers: mcpCredentials.customHeaders,
    availability: 'default_on',
    tool_deny_list: ['write_file'],
  });
  // Client and endpoints are given, so no discovery runs; the token is stored directly below.
  ids.oauth = await register('oauth', '/bearer/mcp', {
    auth_type: 'oauth2',
    oauth2_client_id: 'turn-tools-client',
    oauth2_auth_url: 'http://127.0.0.1:1/authorize',
    oauth2_token_url: 'http://127.0.0.1:1/token',
    availability: 'force_on',
  });
  ids.hang = await register('hang', '/hang/mcp', {});
  ids.garbage = await register('garbage', '/garbage/mcp', {});
  ids.many = await register('many', '/many/mcp', {});
  ids.closed = await register('closed', '/open/mcp', { url: 'http://127.0.0.1:1/mcp' });
  ids.wrongKey = await register('wrong-key', '/api-key/mcp', { auth_type: 'api_key', api_key_header: 'X-Api-Key', api_key_value: 'wrong-key-value' });
  ids.hidden = await register('hidden', '/open/mcp', { enabled: false });
  await connectUser('member-1', ids.oauth, mcpCredentials.bearerToken);
});
afterAll(async () => {
  await t?.close();
  await mcp?.close();
});

describe('GET /api/experimental/chats/{id}/tools', () => {
  it('combines default_on, force_on and the auth gate', async () => {
    const turn = await chatTools(await newChat(undefined));

    expect(turn.servers.map((s: any) => [s.slug, s.reason, s.status])).toEqual([
      ['oauth', 'force_on', 'ready'],
      ['team', 'selected', 'ready'],
    ]);
    expect(turn.tools.map((tool: any) => tool.name)).toEqual(['oauth__read_file', 'oauth__write_file', 'team__read_file']);
    expect(turn.tools[0]).toMatchObject({ server_id: ids.oauth, tool_name: 'read_file', title: 'Read a file', description: 'Reads a file.' });
    expect(turn.collisions).toEqual([]);
  });

  it('reports needs_auth with the connect endpoint for a user without a token', async () => {
    const turn = await chatTools(await newChat([], 'otherMember'), 'otherMember');

    expect(turn.servers).toEqual([
      expect.objectContaining({
        slug: 'oauth',
        status: 'needs_auth',
        connect_endpoint: `/api/experimental/mcp/servers/${ids.oauth}/oauth2/connect`,
        tool_count: 0,
      }),
    ]);
    expect(turn.tools).toEqual([]);
  });

  it('treats an expired token as missing', async () => {
    await connectUser('member-3', ids.oauth, mcpCredentials.bearerToken, new Date(Date.now() - 60_000));
    const token = await signDevToken(new TextEncoder().encode(testJwtSecret), { subject: 'member-3', roles: [] });
    const headers = { Authorization: `Bearer ${token}` };
    const created = await t.request('POST', '/api/experimental/chats', { as: 'anonymous', headers, body: { title: 'x', content: 'y', mcp_server_ids: [] } });
    const chatId = ((await created.json()) as { id: string }).id;

    const response = await t.request('GET', `/api/experimental/chats/${chatId}/tools`, { as: 'anonymous', headers });
    const turn = (await response.json()) as { servers: unknown[] };
    expect(turn.servers).toEqual([expect.objectContaining({ slug: 'oauth', status: 'needs_auth' })]);
  });

  it('reports unreachable servers and keeps the others', async () => {
    const turn = await chatTools(await newChat([ids.files, ids.hang, ids.garbage, ids.many, ids.closed, ids.wrongKey]));
    const bySlug = Object.fromEntries(turn.servers.map((s: any) => [s.slug, s]));

    expect(bySlug.files).toMatchObject({ status: 'ready', tool_count: 2 });
    expect(bySlug.hang).toMatchObject({ status: 'unreachable', error_code: 'timeout' });
    expect(bySlug.garbage).toMatchObject({ status: 'unreachable', error_code: 'invalid_response' });
    expect(bySlug.many).toMatchObject({ status: 'unreachable', error_code: 'too_many_tools' });
    expect(bySlug['wrong-key']).toMatchObject({ status: 'unreachable', error_code: 'unauthorized' });
    expect(bySlug.closed).toMatchObject({ status: 'unreachable', error_code: 'network_error' });
    // The admin-only detail names the host; members must not learn the server's address.
    for (const server of turn.servers) expect(server.error_detail ?? '').not.toContain('127.0.0.1');
    expect(turn.tools.map((tool: any) => tool.name)).toEqual([
      'files__read_file',
      'files__write_file',
      'oauth__read_file',
      'oauth__write_file',
    ]);
  });

  it('reuses a fresh snapshot instead of connecting again', async () => {
    const chatId = await newChat([ids.files]);
    await chatTools(chatId);
    const before = requestsTo('/api-key/mcp');
    await chatTools(chatId);
    expect(requestsTo('/api-key/mcp')).toBe(before);
  });

  it('lists again after the configuration changes', async () => {
    const chatId = await newChat([ids.files]);
    await chatTools(chatId);
    const before = requestsTo('/api-key/mcp');

    const patched = await call('PATCH', `/mcp/servers/${ids.files}`, 'admin', { tool_allow_list: ['read_file'] });
    expect(patched.status).toBe(200);
    const turn = await chatTools(chatId);

    expect(requestsTo('/api-key/mcp')).toBeGreaterThan(before);
    expect(turn.tools.map((tool: any) => tool.name)).toContain('files__read_file');
    expect(turn.tools.map((tool: any) => tool.name)).not.toContain('files__write_file');
    await call('PATCH', `/mcp/servers/${ids.files}`, 'admin', { tool_allow_list: [] });
  });

  it('leaves out a selected server once it is disabled', async () => {
    const id = await register('soon-off', '/open/mcp', {});
    const chatId = await newChat([id]);
    expect((await call('PATCH', `/mcp/servers/${id}`, 'admin', { enabled: false })).status).toBe(200);

    const turn = await chatTools(chatId);
    expect(turn.servers.map((s: any) => s.slug)).not.toContain('soon-off');
  });

  it("answers 404 for another user's chat", async () => {
    const chatId = await newChat([]);
    const { status } = await call('GET', `/chats/${chatId}/tools`, 'otherMember');
    expect(status).toBe(404);
  });
});

describe('POST /api/experimental/mcp/servers/{id}/tools/refresh', () => {
  it('lets an admin refresh a shared snapshot', async () => {
    const { status, body } = await call('POST', `/mcp/servers/${ids.team}/tools/refresh`, 'admin');
    expect(status).toBe(200);
    expect(body).toMatchObject({ server_id: ids.team, scope: 'shared', outcome: 'ok', error_code: null, age_seconds: 0 });
    expect(body.tools.map((tool: any) => [tool.name, tool.allowed])).toEqual([
      ['read_file', true],
      ['write_file', false],
    ]);
  });

  it('records a failed listing as the snapshot', async () => {
    const { status, body } = await call('POST', `/mcp/servers/${ids.wrongKey}/tools/refresh`, 'admin');
    expect(status).toBe(200);
    expect(body).toMatchObject({ outcome: 'failed', error_code: 'unauthorized', tools: [] });
    expect(body.error_detail).toBe('The server rejected the credentials with HTTP 401.');
  });

  it('answers 403 to a member for a shared snapshot', async () => {
    const { status, body } = await call('POST', `/mcp/servers/${ids.team}/tools/refresh`, 'member');
    expect(status).toBe(403);
    expect(body.code).toBe('forbidden');
  });

  it('answers 404 to a member for a disabled server', async () => {
    const { status } = await call('POST', `/mcp/servers/${ids.hidden}/tools/refresh`, 'member');
    expect(status).toBe(404);
  });

  it('lets a connected user refresh their own snapshot of an OAuth server', async () => {
    const { status, body } = await call('POST', `/mcp/servers/${ids.oauth}/tools/refresh`, 'member');
    expect(status).toBe(200);
    expect(body).toMatchObject({ scope: 'user', outcome: 'ok' });
    expect(body.tools.map((tool: any) => tool.name)).toEqual(['read_file', 'write_file']);
  });

  it('answers 409 with the connect endpoint to a user without a token', async () => {
    const { status, body } = await call('POST', `/mcp/servers/${ids.oauth}/tools/refresh`, 'otherMember');
    expect(status).toBe(409);
    expect(body.code).toBe('auth_required');
    expect(body.detail).toContain(`/api/experimental/mcp/servers/${ids.oauth}/oauth2/connect`);
  });
});

describe('GET /api/experimental/mcp/servers/{id}/tools', () => {
  it('filters the snapshot by the allow and deny lists for members', async () => {
    await call('POST', `/mcp/servers/${ids.team}/tools/refresh`, 'admin');
    const { status, body } = await call('GET', `/mcp/servers/${ids.team}/tools`, 'member');
    expect(status).toBe(200);
    expect(body.outcome).toBe('ok');
    expect(body.tools.map((tool: any) => tool.name)).toEqual(['read_file']);
    expect(body.age_seconds).toBeGreaterThanOrEqual(0);
  });

  it('reports never_fetched before the first listing', async () => {
    const id = await register('fresh', '/open/mcp', {});
    const { body } = await call('GET', `/mcp/servers/${id}/tools`, 'admin');
    expect(body).toMatchObject({ outcome: 'never_fetched', fetched_at: null, age_seconds: null, tools: [] });
  });

  it("shows each user only their own snapshot of an OAuth server", async () => {
    await call('POST', `/mcp/servers/${ids.oauth}/tools/refresh`, 'member');
    const own = await call('GET', `/mcp/servers/${ids.oauth}/tools`, 'member');
    const other = await call('GET', `/mcp/servers/${ids.oauth}/tools`, 'otherMember');
    expect(own.body.outcome).toBe('ok');
    expect(other.body).toMatchObject({ scope: 'user', outcome: 'never_fetched' });
  });

  it('answers 404 to a member for a disabled server', async () => {
    const { status } = await call('GET', `/mcp/servers/${ids.hidden}/tools`, 'member');
    expect(status).toBe(404);
  });
});

describe('tool snapshots', () => {
  it('are deleted with their server and their user', async () => {
    const db = t.database.db;
    const id = await register('short-lived', '/open/mcp', {});
    await call('POST', `/mcp/servers/${id}/tools/refresh`, 'admin');
    const count = async (where: ReturnType<typeof eq>) =>
      (await db.select({ id: mcpServerToolSnapshots.id }).from(mcpServerToolSnapshots).where(where)).length;
    expect(await count(eq(mcpServerToolSnapshots.mcpServerConfigId, id))).toBe(1);
    expect((await call('DELETE', `/mcp/servers/${id}`, 'admin')).status).toBe(204);
    expect(await count(eq(mcpServerToolSnapshots.mcpServerConfigId, id))).toBe(0);

    await connectUser('member-9', ids.oauth, 'another-token');
    const userId = await userIdForSubject('member-9');
    await db.insert(mcpServerToolSnapshots).values({ mcpServerConfigId: ids.oauth, userId, outcome: 'ok', tools: [] });
    await db.delete(users).where(eq(users.id, userId));
    expect(await count(eq(mcpServerToolSnapshots.userId, userId))).toBe(0);
  });

  it('never appear with a secret in a response or a log line', () => {
    const everything = [...responses, ...t.logs].join('\n');
    for (const secret of [mcpCredentials.apiKey, mcpCredentials.bearerToken, ...Object.values(mcpCredentials.customHeaders), 'wrong-key-value']) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe('GET /api/experimental/chats/{id}/tools when the server lookup fails', () => {
  it('fails the request instead of answering without forced servers', async () => {
    const chatId = await newChat([]);
    const db = t.database.db;
    await db.execute(sql`ALTER TABLE mcp_server_tool_snapshots RENAME TO mcp_server_tool_snapshots_hidden`);
    try {
      const { status, body } = await call('GET', `/chats/${chatId}/tools`);
      expect(status).toBe(500);
      expect(body.code).toBe('internal_error');
    } finally {
      await db.execute(sql`ALTER TABLE mcp_server_tool_snapshots_hidden RENAME TO mcp_server_tool_snapshots`);
    }
  });
});
