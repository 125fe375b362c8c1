import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import type {} from './test/support/workers-context.js';

// The Worker suite: functions/worker.ts inside workerd, with the settings of wrangler.toml,
// on PostgreSQL through the Neon driver and a WebSocket-to-TCP proxy. The global setup runs
// first, in Node, and provides the bindings that the pool options read through `inject`.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      main: './functions/worker.ts',
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: { ...inject('workerBindings') },
      },
    })),
  ],
  test: {
    include: ['test/workers/**/*.test.ts'],
    globalSetup: ['test/support/workers-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
