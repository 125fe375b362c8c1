/** Gives each request a database handle and releases it once the response is built. */
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env.js';

export function withDatabase() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const { db, release } = await c.var.runtime.acquireDatabase();
    c.set('db', db);
    try {
      await next();
    } finally {
      await release();
    }
  });
}
