/**
 * Growth of the list route: latency, response size and heap from 10 to 10,000
 * configurations, and member latency from 1 to 100,000 users holding OAuth tokens. Runs the
 * composed app in process on PostgreSQL, so the figures exclude HTTP parsing.
 */
import { sql } from 'drizzle-orm';
import { createApp } from '../functions/app.js';
import { createTokenVerifier, signDevToken } from '../functions/auth/tokens.js';
import { readConfig } from '../functions/config.js';
import { createLogger } from '../functions/log.js';
import { createGuardedFetch } from '../functions/outbound/guarded-fetch.js';
import { secretColumns } from '../db/crypto/index.js';
import { migrateDatabase, openDatabase } from '../db/open.js';
import { localKeyring, report, startPostgres } from './support.js';

const secret = 'bench-secret-bench-secret-bench-secret-000';
const samples = Number(process.env.BENCH_SAMPLES ?? 30);

const postgres = await startPostgres();
try {
  const handle = await openDatabase({ databaseUrl: postgres.url });
  await migrateDatabase(handle);
  const db = handle.db;
  const keyring = await localKeyring(crypto.getRandomValues(new Uint8Array(32)));
  const config = readConfig({ AUTH_JWT_SECRET: secret });
  const app = createApp({
    config,
    keyring,
    verifyToken: createTokenVerifier(config.auth),
    log: createLogger(() => {}),
    fetchOutbound: createGuardedFetch({ allowLocalTargets: false }),
    acquireDatabase: async () => ({ db, release: async () => {} }),
  });
  const key = new TextEncoder().encode(secret);
  const admin = await signDevToken(key, { subject: 'scale-admin', roles: ['admin'] });
  const member = await signDevToken(key, { subject: 'scale-member', roles: [] });

  const configRows: Record<string, string | number>[] = [];
  let present = 0;
  for (const target of [10, 100, 1_000, 10_000]) {
    await db.execute(sql`
      INSERT INTO mcp_server_configs (display_name, slug, url, enabled, availability, tool_deny_list)
      SELECT 'Scale server ' || n, 'scale-' || n, 'https://mcp' || n || '.example.com/mcp', true, 'default_on', ARRAY['delete_everything']
      FROM generate_series(${present + 1}::int, ${target}::int) AS n`);
    present = target;
    for (const [caller, token] of [['admin', admin], ['member', member]] as const) {
      const measured = await measure(() => app.request('/api/experimental/mcp/servers', { headers: { Authorization: `Bearer ${token}` } }));
      configRows.push({ configs: target, caller, 'p50 ms': measured.p50, 'p99 ms': measured.p99, 'body KiB': measured.kib, 'heap MiB': measured.heapMiB });
    }
  }
  await report('scale-configs', configRows);

  // One OAuth server, then tokens for ever more users; the member's own token decides auth_connected.
  await db.execute(sql`DELETE FROM mcp_server_configs`);
  await db.execute(sql`
    INSERT INTO mcp_server_configs (display_name, slug, url, enabled, auth_type)
    SELECT 'OAuth server ' || n, 'oauth-' || n, 'https://mcp' || n || '.example.com/mcp', true, 'oauth2'
    FROM generate_series(1, 20) AS n`);
  const encryptor = await keyring.encryptor(db);
  // The same ciphertext in every row: the list route reads only presence and expiry.
  const ciphertext = await encryptor.encrypt(secretColumns.accessToken, 'benchmark', 'token');
  const userRows: Record<string, string | number>[] = [];
  let users = 0;
  for (const target of [1, 100, 10_000, 100_000]) {
    await db.execute(sql`
      WITH new_users AS (
        INSERT INTO users (id, subject, username)
        SELECT gen_random_uuid(), 'scale-user-' || n, 'user ' || n FROM generate_series(${users + 1}::int, ${target}::int) AS n
        RETURNING id)
      INSERT INTO mcp_server_user_tokens (mcp_server_config_id, user_id, access_token, access_token_key_id, expiry)
      SELECT c.id, u.id, ${ciphertext}, ${encryptor.keyId}, now() + interval '1 hour'
      FROM new_users u CROSS JOIN mcp_server_configs c`);
    users = target;
    await db.execute(sql`ANALYZE`);
    const measured = await measure(() => app.request('/api/experimental/mcp/servers', { headers: { Authorization: `Bearer ${member}` } }));
    userRows.push({ 'users with tokens': target, 'token rows': target * 20, 'member p50 ms': measured.p50, 'member p99 ms': measured.p99 });
  }
  await report('scale-users', userRows);
  await handle.close();
} finally {
  await postgres.stop();
}

async function measure(request: () => Response | Promise<Response>) {
  const times: number[] = [];
  let bytes = 0;
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const response = await request();
    const body = await response.arrayBuffer();
    times.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`list returned ${response.status}`);
    bytes = body.byteLength;
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }
  times.sort((a, b) => a - b);
  return {
    p50: times[Math.floor(times.length * 0.5)]!.toFixed(2),
    p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!.toFixed(2),
    kib: (bytes / 1024).toFixed(1),
    heapMiB: ((heapPeak - heapBefore) / 2 ** 20).toFixed(1),
  };
}
