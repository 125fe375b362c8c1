/**
 * `GET /healthz`: for load balancers and uptime checks, without authentication. It reports
 * only ok or unavailable, never which part failed; the log has the cause.
 */
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';

const app = new Hono<AppEnv>();

app.get('/healthz', async (c) => {
  const { db, release } = await c.var.runtime.acquireDatabase();
  try {
    await db.execute(sql`SELECT 1`);
    await c.var.runtime.keyring.encryptor(db);
    return c.json({ status: 'ok' }, 200, { 'Cache-Control': 'no-store' });
  } catch (error) {
    c.var.runtime.log.error('health_check_failed', {
      request_id: c.var.requestId,
      error_name: error instanceof Error ? error.name : 'Error',
    });
    return c.json({ status: 'unavailable' }, 503, { 'Cache-Control': 'no-store', 'Retry-After': '5' });
  } finally {
    await release();
  }
});

export default app;
