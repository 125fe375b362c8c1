/**
 * Database round trips and KMS calls on the warm path of every endpoint, counted by
 * instrumenting the database driver and by the KMS emulator behind the real AWS SDK.
 * Targets: one statement for a read, one transaction for a write, no KMS call. Then 10,000
 * reads and 1,000 writes with secrets, to show that the warm path makes no KMS call at all.
 * Runs on PGlite, or on PostgreSQL when TEST_DATABASE_URL is set.
 */
import { startTestMcpServers } from '../test/support/mcp-servers.js';
import { createTestApp, serverBody, type Caller } from '../test/support/harness.js';
import { startTestKms } from '../test/support/kms.js';
import { freePort, report } from './support.js';

const kms = await startTestKms();
const mcp = await startTestMcpServers(await freePort());
const t = await createTestApp({ provider: kms.provider() });
const api = '/api/experimental';

async function call(method: string, path: string, as: Caller, body?: unknown) {
  const response = await t.request(method, `${api}${path}`, { as, ...(body !== undefined ? { body } : {}) });
  return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
}

// Objects the measured requests act on.
const server = (await call('POST', '/mcp/servers', 'admin', serverBody('rt-open', { url: mcp.url('/open/mcp'), enabled: true, availability: 'default_on' }))).body;
const keyed = (await call('POST', '/mcp/servers', 'admin', serverBody('rt-key', { enabled: true, auth_type: 'api_key', api_key_value: 'k1' }))).body;
const oauth = (await call('POST', '/mcp/servers', 'admin', serverBody('rt-oauth', {
  enabled: true,
  auth_type: 'oauth2',
  oauth2_client_id: 'client',
  oauth2_auth_url: 'http://127.0.0.1:9/authorize',
  oauth2_token_url: 'http://127.0.0.1:9/token',
}))).body;
const chat = (await call('POST', '/chats', 'member', { title: 'Round trips', content: 'hello' })).body;
await call('POST', `/mcp/servers/${server.id}/tools/refresh`, 'admin');

let created = 0;
const cases: { name: string; method: string; path: () => Promise<string> | string; as: Caller; body?: () => unknown }[] = [
  { name: 'list servers (admin)', method: 'GET', path: () => '/mcp/servers', as: 'admin' },
  { name: 'list servers (member)', method: 'GET', path: () => '/mcp/servers', as: 'member' },
  { name: 'get server (member)', method: 'GET', path: () => `/mcp/servers/${keyed.id}`, as: 'member' },
  { name: 'create server with a secret', method: 'POST', path: () => '/mcp/servers', as: 'admin', body: () => serverBody(`rt-new-${created++}`, { auth_type: 'api_key', api_key_value: 'k' }) },
  { name: 'update a secret', method: 'PATCH', path: () => `/mcp/servers/${keyed.id}`, as: 'admin', body: () => ({ api_key_value: `k-${created++}` }) },
  {
    name: 'delete server',
    method: 'DELETE',
    as: 'admin',
    path: async () => `/mcp/servers/${(await call('POST', '/mcp/servers', 'admin', serverBody(`rt-gone-${created++}`))).body.id}`,
  },
  { name: 'read tool snapshot (member)', method: 'GET', path: () => `/mcp/servers/${server.id}/tools`, as: 'member' },
  { name: 'refresh tools (admin)', method: 'POST', path: () => `/mcp/servers/${server.id}/tools/refresh`, as: 'admin' },
  { name: 'oauth2 connect URL (member)', method: 'POST', path: () => `/mcp/servers/${oauth.id}/oauth2/connect`, as: 'member' },
  { name: 'oauth2 disconnect (member)', method: 'DELETE', path: () => `/mcp/servers/${oauth.id}/oauth2/disconnect`, as: 'member' },
  { name: 'create chat', method: 'POST', path: () => '/chats', as: 'member', body: () => ({ title: 'c', content: 'hi' }) },
  { name: 'get chat', method: 'GET', path: () => `/chats/${chat.id}`, as: 'member' },
  { name: 'add message', method: 'POST', path: () => `/chats/${chat.id}/messages`, as: 'member', body: () => ({ content: 'more' }) },
  { name: 'turn tools (fresh snapshot)', method: 'GET', path: () => `/chats/${chat.id}/tools`, as: 'member' },
  { name: 'audit log page', method: 'GET', path: () => '/audit-logs', as: 'admin' },
];

const rows: Record<string, string | number>[] = [];
for (const { name, method, path, as, body } of cases) {
  await call(method, await path(), as, body?.()); // warm: keys, snapshots, user row
  const target = await path();
  const payload = body?.();
  const kmsBefore = totalKmsCalls();
  let status = 0;
  const statements = await t.countRoundTrips(async () => {
    status = (await call(method, target, as, payload)).status;
  });
  const transactions = statements.filter((s) => /^begin/i.test(s)).length;
  rows.push({
    endpoint: `${method} ${name}`,
    status,
    'round trips': statements.length,
    'statements outside BEGIN/COMMIT': statements.filter((s) => !/^(begin|commit|rollback)/i.test(s)).length,
    transactions,
    'KMS calls': totalKmsCalls() - kmsBefore,
  });
}
await report('round-trips', rows);

// The warm path at volume: 10,000 reads and 1,000 writes that encrypt a secret.
const kmsBefore = totalKmsCalls();
for (let i = 0; i < 10_000; i++) await call('GET', '/mcp/servers', i % 2 ? 'member' : 'admin');
const afterReads = totalKmsCalls();
for (let i = 0; i < 1_000; i++) await call('PATCH', `/mcp/servers/${keyed.id}`, 'admin', { api_key_value: `volume-${i}` });
await report('kms-calls-warm', [
  { requests: '10,000 list reads', 'KMS calls': afterReads - kmsBefore },
  { requests: '1,000 secret updates', 'KMS calls': totalKmsCalls() - afterReads },
]);

await t.close();
await mcp.close();
await kms.close();

function totalKmsCalls(): number {
  return Object.values(kms.emulator.calls).reduce((sum, n) => sum + n, 0);
}
