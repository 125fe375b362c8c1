/** `GET /api/experimental/mcp/servers/{id}`: one server; a member asking for a disabled one gets 404. */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { getMcpServerConfig } from '../../../db/mcp-servers/queries.js';
import type { AppEnv } from '../../env.js';
import { validationHook } from '../../errors.js';
import { authenticate } from '../../middleware/authenticate.js';
import { IdParams, McpServerConfigSchema, errorResponses, notFoundResponse } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/mcp/servers/{id}',
  tags: ['MCP servers'],
  summary: 'Read an MCP server',
  security: [{ bearerAuth: [] }],
  middleware: [authenticate()] as const,
  request: { params: IdParams },
  responses: {
    200: { description: 'The configuration', content: { 'application/json': { schema: McpServerConfigSchema } } },
    ...errorResponses,
    ...notFoundResponse,
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const { id } = c.req.valid('param');
  const server = await getMcpServerConfig(c.var.db, c.var.actor, id);
  return c.json(server, 200);
});

export default app;
