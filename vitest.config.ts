import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// The Node suite: PGlite by default, PostgreSQL when TEST_DATABASE_URL is set. The Worker
// suite runs inside workerd with its own configuration, vitest.workers.config.ts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/workers/**', 'node_modules/**'],
    pool: 'forks',
    // Most files wait on a database or a child server, so even two cores keep two files busy.
    maxWorkers: Math.max(2, availableParallelism()),
    setupFiles: ['test/support/loopback-network.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
