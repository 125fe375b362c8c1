/** `DELETE /api/experimental/mcp/servers/{id}`: tokens cascade and chats drop the id. */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { deleteMcpServerConfig } from '../../../db/mcp-servers/queries.js';
import type { AppEnv } from '../../env.js';
import { validationHook } from '../../errors.js';
import { authenticate } from '../../middleware/authenticate.js';
import { IdParams, adminErrorResponses, notFoundResponse } from './schemas.js';

const route = createRoute({
  method: 'delete',
  path: '/mcp/servers/{id}',
  tags: ['MCP servers'],
  summary: 'Delete an MCP server',
  security: [{ bearerAuth: [] }],
  middleware: [authenticate({ role: 'admin' })] as const,
  request: { params: IdParams },
  responses: {
    204: { description: 'Deleted' },
    ...adminErrorResponses,
    ...notFoundResponse,
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const { id } = c.req.valid('param');
  await deleteMcpServerConfig(c.var.db, c.var.actor, id, { audit: { requestId: c.var.requestId } });
  return c.body(null, 204);
});

export default app;
