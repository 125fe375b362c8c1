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
import createMcpServer from './mcp/servers/create.js';
import deleteMcpServer from './mcp/servers/delete.js';
import getMcpServer from './mcp/servers/get.js';
import listMcpServers from './mcp/servers/list.js';
import oauth2Callback from './mcp/servers/oauth2/callback.js';
import oauth2ClientMetadata from './mcp/servers/oauth2/client-metadata.js';
import oauth2Connect from './mcp/servers/oauth2/connect.js';
import oauth2ConnectUrl from './mcp/servers/oauth2/connect-url.js';
import oauth2Disconnect from './mcp/servers/oauth2/disconnect.js';
import updateMcpServer from './mcp/servers/update.js';

export const apiPrefix = '/api/experimental';

/** Every endpoint under `apiPrefix`, in the order they are matched. */
export const endpoints = [
  listMcpServers,
  createMcpServer,
  getMcpServer,
  updateMcpServer,
  deleteMcpServer,
  oauth2ConnectUrl,
  oauth2Connect,
  oauth2Callback,
  oauth2Disconnect,
  oauth2ClientMetadata,
];

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
  app.use(`${apiPrefix}/*`, limitBody(), requireJsonBody(), withDatabase());

  for (const endpoint of endpoints) app.route(apiPrefix, endpoint);

  app.notFound((c) => errorResponse(c, new ApiError(404, 'route_not_found', 'No such route.', `${c.req.method} is not served here.`)));
  app.onError(handleError);
  return app;
}
