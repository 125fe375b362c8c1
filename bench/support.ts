/** Shared pieces of the benchmarks: a throwaway PostgreSQL, seeding, and result output. */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile, chmod } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { systemActor } from '../db/actor.js';
import { Keyring, LocalKeyProvider } from '../db/crypto/index.js';
import type { Database } from '../db/database.js';
import { createMcpServerConfig } from '../db/mcp-servers/queries.js';
import { freePort } from '../test/support/own-postgres.js';

export interface BenchPostgres {
  /** URL of a fresh, empty database on the cluster. */
  url: string;
  stop(): Promise<void>;
}

/** Uses BENCH_DATABASE_URL's server, or starts a throwaway cluster with scripts/test-postgres.sh. */
export async function startPostgres(): Promise<BenchPostgres> {
  let serverUrl = process.env.BENCH_DATABASE_URL;
  let stopCluster = async () => {};
  if (!serverUrl) {
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-bench-'));
    await chmod(dir, 0o755);
    const port = await freePort();
    serverUrl = execFileSync('scripts/test-postgres.sh', ['start', join(dir, 'pg'), String(port)], { encoding: 'utf8' }).trim();
    stopCluster = async () => {
      execFileSync('scripts/test-postgres.sh', ['stop', join(dir, 'pg')]);
    };
  }
  const name = `switchboard_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), stop: stopCluster };
}

export { freePort };

/** Creates `count` configurations through the data layer, a third each with no auth, an API key and custom headers. */
export async function seedServers(db: Database, keyring: Keyring, count: number, enabledShare = 1): Promise<string[]> {
  const system = systemActor('benchmark');
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 3;
    const server = await createMcpServerConfig(db, keyring, system, {
      displayName: `Bench server ${i}`,
      slug: `bench-${i}`,
      url: `https://mcp${i}.example.com/mcp`,
      description: 'A server registered by the benchmark, with a description of ordinary length.',
      enabled: i < count * enabledShare,
      availability: 'default_on',
      toolDenyList: ['delete_everything'],
      ...(kind === 1 ? { authType: 'api_key' as const, apiKeyValue: `key-${i}` } : {}),
      ...(kind === 2 ? { authType: 'custom_headers' as const, customHeaders: { 'X-Team': `team-${i}` } } : {}),
    });
    ids.push(server.id);
  }
  return ids;
}

export async function localKeyring(rootKey: Uint8Array): Promise<Keyring> {
  return new Keyring(await LocalKeyProvider.create(rootKey));
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

/** Prints a table and appends it, with the machine, to bench/results/<name>.json. */
export async function report(name: string, rows: Record<string, string | number>[]): Promise<void> {
  console.log(`\n${name} (${machine()})`);
  console.table(rows);
  await mkdir('bench/results', { recursive: true });
  await writeFile(join('bench/results', `${name}.json`), JSON.stringify({ name, machine: machine(), at: new Date().toISOString(), rows }, null, 2));
}
