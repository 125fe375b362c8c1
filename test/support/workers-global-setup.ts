/**
 * Global setup of the Worker suite, run in Node before workerd starts: a fresh, migrated
 * database on PostgreSQL, the WebSocket-to-TCP proxy the Neon driver reaches it through, and
 * per-run secrets, all handed to the Worker as bindings. The server is TEST_DATABASE_URL when
 * set; otherwise this setup starts a throwaway cluster with scripts/test-postgres.sh and stops
 * it afterwards. Without PostgreSQL binaries the suite is skipped, not failed.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { createTestDatabase } from './database.js';
import type { WorkerTestBindings } from './workers-context.js';
import { startWebSocketProxy } from './ws-proxy.js';

const run = promisify(execFile);
const postgresScript = fileURLToPath(new URL('../../scripts/test-postgres.sh', import.meta.url));

type Teardown = () => Promise<void>;

export default async function setup(project: TestProject): Promise<Teardown> {
  const teardowns: Teardown[] = [];
  const teardown = async () => {
    for (const step of teardowns.reverse()) await step();
  };

  try {
    let serverUrl = process.env.TEST_DATABASE_URL;
    if (!serverUrl) {
      if (!hasPostgresBinaries()) {
        const reason =
          'PostgreSQL binaries (pg_ctl) were not found and TEST_DATABASE_URL is not set, so the Worker suite is skipped. ' +
          'Install the postgresql package or set TEST_DATABASE_URL to a PostgreSQL 15 server.';
        console.warn(`[workers] ${reason}`);
        project.provide('workersSkipReason', reason);
        project.provide('workerBindings', bindingsFor('', ''));
        project.provide('rotationDatabaseUrl', '');
        return teardown;
      }
      const cluster = await startCluster();
      teardowns.push(cluster.stop);
      serverUrl = cluster.url;
    }

    const database = await createTestDatabase({ serverUrl });
    teardowns.push(() => database.close());
    const databaseUrl = new URL(database.url!);
    // Rotation re-encrypts every row of a database, so its test gets a database of its own.
    const rotationDatabase = await createTestDatabase({ serverUrl });
    teardowns.push(() => rotationDatabase.close());

    const proxy = await startWebSocketProxy({
      target: { host: databaseUrl.hostname, port: Number(databaseUrl.port || 5432) },
    });
    teardowns.push(() => proxy.close());

    project.provide('workersSkipReason', '');
    project.provide('workerBindings', bindingsFor(databaseUrl.toString(), proxy.address));
    project.provide('rotationDatabaseUrl', rotationDatabase.url!);
    return teardown;
  } catch (error) {
    await teardown();
    throw error;
  }
}

function bindingsFor(databaseUrl: string, proxyAddress: string): WorkerTestBindings {
  return {
    DATABASE_URL: databaseUrl,
    NEON_WS_PROXY: proxyAddress,
    LOCAL_ROOT_KEY: randomBase64Url(32),
    AUTH_JWT_SECRET: randomBase64Url(32),
    ALLOW_LOCAL_TARGETS: 'true',
  };
}

function randomBase64Url(byteLength: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(byteLength))).toString('base64url');
}

/** Looks where scripts/test-postgres.sh looks: Debian's versioned folders, then PATH. */
function hasPostgresBinaries(): boolean {
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot) && readdirSync(debianRoot).some((version) => existsSync(join(debianRoot, version, 'bin', 'pg_ctl')))) {
    return true;
  }
  return (process.env.PATH ?? '').split(delimiter).some((folder) => folder && existsSync(join(folder, 'pg_ctl')));
}

/** Starts a throwaway cluster in a new temporary folder on a free port of 127.0.0.1. */
async function startCluster(): Promise<{ url: string; stop: Teardown }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'switchboard-workers-pg-'));
  const stop = async () => {
    await run('bash', [postgresScript, 'stop', dataDir]);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const port = await findFreePort();
    const { stdout } = await run('bash', [postgresScript, 'start', dataDir, String(port)]);
    const url = stdout.trim().split('\n').pop() ?? '';
    if (!url.startsWith('postgres://')) throw new Error(`scripts/test-postgres.sh printed no database URL (output: ${stdout.trim()}).`);
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Asks the OS for a free port; another process could take it before the cluster binds it. */
async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
