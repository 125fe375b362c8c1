/**
 * The Worker's cost at the edge: gzipped bundle size from `wrangler deploy --dry-run
 * --minify`, and the time workerd takes to start it and respond to its first request, each
 * as a ratio against a minimal Hono Worker measured in the same run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Miniflare } from 'miniflare';
import { toBase64Url } from '../db/crypto/aead.js';
import { report } from './support.js';

const compatibilityDate = '2026-04-20';
const starts = Number(process.env.BENCH_STARTS ?? 7);

const workers = [
  { name: 'switchboard', config: 'wrangler.toml', path: '/api/experimental/mcp/servers' },
  { name: 'minimal hono', config: 'bench/fixtures/minimal-wrangler.toml', path: '/api/experimental/mcp/servers' },
];

const rows: Record<string, string | number>[] = [];
for (const worker of workers) {
  const outdir = await mkdtemp(join(tmpdir(), 'switchboard-bundle-'));
  execFileSync(
    'node_modules/.bin/wrangler',
    ['deploy', '--dry-run', '--minify', '--outdir', outdir, '--config', worker.config],
    { env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' }, stdio: 'pipe' },
  );
  const script = (await readdir(outdir)).find((file) => file.endsWith('.js'))!;
  const code = await readFile(join(outdir, script));

  const startMs: number[] = [];
  const firstMs: number[] = [];
  for (let i = 0; i < starts; i++) {
    const began = performance.now();
    const mf = new Miniflare({
      modules: [{ type: 'ESModule', path: 'worker.js', contents: code }],
      compatibilityDate,
      compatibilityFlags: ['nodejs_compat'],
      bindings: {
        DATABASE_URL: 'postgres://bench@127.0.0.1:1/bench',
        AUTH_JWT_SECRET: 'bench-secret-bench-secret-bench-secret-000',
        LOCAL_ROOT_KEY: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
      },
    });
    await mf.ready;
    const ready = performance.now();
    const response = await mf.dispatchFetch(`http://bench.test${worker.path}`);
    await response.text();
    firstMs.push(performance.now() - ready);
    startMs.push(ready - began);
    await mf.dispose();
  }
  rows.push({
    worker: worker.name,
    'bundle KiB': (code.byteLength / 1024).toFixed(1),
    'gzip KiB': (gzipSync(code).byteLength / 1024).toFixed(1),
    'start ms (median)': median(startMs).toFixed(1),
    'first request ms (median)': median(firstMs).toFixed(1),
  });
}

const [ours, minimal] = rows as [Record<string, string | number>, Record<string, string | number>];
rows.push({
  worker: 'ratio',
  'bundle KiB': (Number(ours['bundle KiB']) / Number(minimal['bundle KiB'])).toFixed(1),
  'gzip KiB': (Number(ours['gzip KiB']) / Number(minimal['gzip KiB'])).toFixed(1),
  'start ms (median)': (Number(ours['start ms (median)']) / Number(minimal['start ms (median)'])).toFixed(2),
  'first request ms (median)': (Number(ours['first request ms (median)']) / Number(minimal['first request ms (median)'])).toFixed(2),
});
await report('worker', rows);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
