/**
 * `GET /api/experimental/mcp/servers` with 50 configurations, served by the Node entry on
 * PostgreSQL under autocannon with 1, 16 and 64 connections, as a member and as an admin;
 * beside it, in the same run, bench/bare-server.ts running the same SQL. Prints p50, p99
 * and requests per second of both and their ratios.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { toBase64Url } from '../db/crypto/aead.js';
import { migrateDatabase, openDatabase } from '../db/open.js';
import { signDevToken } from '../functions/auth/tokens.js';
import { freePort, localKeyring, report, seedServers, startPostgres } from './support.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const secret = 'bench-secret-bench-secret-bench-secret-000';
const rootKey = crypto.getRandomValues(new Uint8Array(32));

const postgres = await startPostgres();
const children: ChildProcess[] = [];
try {
  const captured: { text: string; params: unknown[] }[] = [];
  const handle = await openDatabase({ databaseUrl: postgres.url, onRoundTrip: (text, params) => captured.push({ text, params: params ?? [] }) });
  await migrateDatabase(handle);
  await seedServers(handle.db, await localKeyring(rootKey), 50);

  const tokens = {
    member: await signDevToken(new TextEncoder().encode(secret), { subject: 'bench-member', roles: [] }),
    admin: await signDevToken(new TextEncoder().encode(secret), { subject: 'bench-admin', roles: ['admin'] }),
  };

  const servicePort = await freePort();
  const service = await startChild(['node_modules/.bin/tsx', 'functions/node.ts'], {
    PORT: String(servicePort),
    DATABASE_URL: postgres.url,
    AUTH_JWT_SECRET: secret,
    LOCAL_ROOT_KEY: toBase64Url(rootKey),
    MIGRATE_ON_START: 'false',
  }, /listening/);
  children.push(service);

  const rows: Record<string, string | number>[] = [];
  for (const role of ['member', 'admin'] as const) {
    // Capture the exact statement the service runs for this caller, then serve it bare.
    captured.length = 0;
    const { listMcpServerConfigs } = await import('../db/mcp-servers/queries.js');
    const { userIdForSubject } = await import('../db/users.js');
    await listMcpServerConfigs(handle.db, {
      kind: 'user',
      userId: await userIdForSubject(`bench-${role}`),
      subject: `bench-${role}`,
      username: role,
      email: null,
      roles: role === 'admin' ? ['admin'] : [],
      isAdmin: role === 'admin',
    });
    const barePort = await freePort();
    const bare = await startChild(['node_modules/.bin/tsx', 'bench/bare-server.ts'], {
      PORT: String(barePort),
      DATABASE_URL: postgres.url,
      BARE_SQL: JSON.stringify(captured[0]),
    }, /listening/);
    children.push(bare);

    for (const connections of [1, 16, 64]) {
      const full = await load(`http://127.0.0.1:${servicePort}/api/experimental/mcp/servers`, connections, { Authorization: `Bearer ${tokens[role]}` });
      const floor = await load(`http://127.0.0.1:${barePort}/`, connections, {});
      rows.push({
        caller: role,
        connections,
        'p50 ms': full.latency.p50,
        'p99 ms': full.latency.p99,
        'req/s': Math.round(full.requests.average),
        'bare p50 ms': floor.latency.p50,
        'bare p99 ms': floor.latency.p99,
        'bare req/s': Math.round(floor.requests.average),
        'p50 ratio': ratio(full.latency.p50, floor.latency.p50),
        'req/s ratio': ratio(full.requests.average, floor.requests.average),
        errors: full.errors + full.non2xx,
      });
    }
    bare.kill();
  }
  await handle.close();
  await report('list-latency', rows);
} finally {
  for (const child of children) child.kill();
  await postgres.stop();
}

function load(url: string, connections: number, headers: Record<string, string>): Promise<autocannon.Result> {
  return autocannon({ url, connections, duration: seconds, headers });
}

function ratio(a: number, b: number): string {
  return b > 0 ? (a / b).toFixed(2) : 'n/a';
}

function startChild(command: string[], env: Record<string, string>, ready: RegExp): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        // Keep draining stdout so the child never blocks on a full pipe.
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${command.join(' ')} exited with ${code}: ${output}`)));
  });
}
