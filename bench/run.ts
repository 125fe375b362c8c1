/**
 * `npm run bench`: every benchmark in one run, on one throwaway PostgreSQL 15 cluster (or the
 * server named by BENCH_DATABASE_URL). Each prints its figures and writes them to
 * bench/results/<name>.json; docs/benchmarks.md records a run with the machine it ran on.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support.js';

const benchmarks = [
  { name: 'round trips and KMS calls', script: 'bench/round-trips.ts', postgres: true },
  { name: 'list latency against a bare handler', script: 'bench/list-latency.ts', postgres: true },
  { name: 'Worker bundle and first request', script: 'bench/worker.ts', postgres: false },
  { name: 'scale', script: 'bench/scale.ts', postgres: true },
  { name: 'key rotation', script: 'bench/rotation.ts', postgres: true },
];

let serverUrl = process.env.BENCH_DATABASE_URL;
let dataDir: string | undefined;
if (!serverUrl) {
  dataDir = join(await mkdtemp(join(tmpdir(), 'switchboard-bench-')), 'pg');
  await chmod(join(dataDir, '..'), 0o755);
  serverUrl = execFileSync('scripts/test-postgres.sh', ['start', dataDir, String(await freePort())], { encoding: 'utf8' }).trim();
}

let failed = 0;
try {
  for (const benchmark of benchmarks) {
    console.log(`\n=== ${benchmark.name} (${benchmark.script})`);
    const env = { ...process.env, ...(benchmark.postgres ? { BENCH_DATABASE_URL: serverUrl, TEST_DATABASE_URL: serverUrl } : {}) };
    const result = spawnSync('node_modules/.bin/tsx', [benchmark.script], { env, stdio: 'inherit' });
    if (result.status !== 0) {
      failed++;
      console.error(`${benchmark.script} exited with ${result.status}`);
    }
  }
} finally {
  if (dataDir) execFileSync('scripts/test-postgres.sh', ['stop', dataDir]);
}
process.exit(failed > 0 ? 1 : 0);
