/**
 * Composes every endpoint module into one app. Each module is an independent Hono app for
 * one route and method; this file adds what all of them share: request id, request log,
 * body guards, the per-request database and the error shape.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { requestId } from 'hono/request-id';
import type { AppEnv, Runtime } from './env.js';
import { ApiError, errorResponse, handleError, validationHook } from './errors.js';
import { limitBody, requireJsonBody } from './middleware/body.js';
import { withDatabase } from './middleware/database.js';
import { requestLog } from './middleware/request-log.js';
import { apiPrefix, endpoints } from './endpoints.js';
import docs from './meta/docs.js';
import healthz from './meta/healthz.js';
import openapi from './meta/openapi.js';

export { apiPrefix, endpoints };

export function createApp(runtime: Runtime): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use(
    '*',
    createMiddleware<AppEnv>(async (c, next) => {
      c.set('runtime', runtime);
      await next();
    }),
  );
  app.use('*', requestId());
  app.use('*', requestLog());
  app.route('/', healthz);
  app.route(apiPrefix, openapi);
  app.route(apiPrefix, docs);

  app.use(`${apiPrefix}/*`, limitBody(), requireJsonBody(), withDatabase());
  for (const endpoint of endpoints) app.route(apiPrefix, endpoint);

  app.notFound((c) => errorResponse(c, new ApiError(404, 'route_not_found', 'No such route.', `${c.req.method} is not served here.`)));
  app.onError(handleError);
  return app;
}
