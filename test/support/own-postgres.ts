/**
 * A PostgreSQL 15 cluster that one test file starts, restarts and stops itself, for tests
 * that take the database down. Undefined where the PostgreSQL binaries are missing.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface OwnPostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

const script = join(process.cwd(), 'scripts', 'test-postgres.sh');

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-own-pg-'));
  await chmod(dir, 0o755);
  const dataDir = join(dir, 'pg');
  const port = await freePort();
  const url = execFileSync(script, ['start', dataDir, String(port)], { encoding: 'utf8' }).trim();
  const pgCtl = (...args: string[]) => {
    const bin = execFileSync('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | head -n 1'], { encoding: 'utf8' }).trim();
    const command = `'${bin}/pg_ctl' -D '${dataDir}' ${args.join(' ')}`;
    if (process.getuid?.() === 0) execFileSync('su', ['postgres', '-s', '/bin/bash', '-c', command], { stdio: 'pipe' });
    else execFileSync('bash', ['-c', command], { stdio: 'pipe' });
  };
  return {
    url,
    stop: async () => pgCtl('-m', 'immediate', '-w', 'stop'),
    start: async () => pgCtl('-l', `'${dataDir}/server.log'`, '-o', `"-p ${port} -c listen_addresses=127.0.0.1 -k '${dataDir}' -c fsync=off"`, '-w', 'start'),
    destroy: async () => {
      execFileSync(script, ['stop', dataDir]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
