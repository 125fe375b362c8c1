/** One structured log line per request: id, method, matched route, status, duration, error code. */
import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { AppEnv } from '../env.js';

export function requestLog() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    await next();
    // The route pattern, never the raw path, so ids and query strings stay out of the log.
    const route = routePath(c, -1);
    c.var.runtime.log.info('request', {
      request_id: c.var.requestId,
      method: c.req.method,
      route: route === '*' || route === '/*' ? 'unmatched' : route,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      ...(c.var.errorCode ? { error_code: c.var.errorCode } : {}),
    });
  });
}
