/** `GET /api/experimental/mcp/servers`: admins see every server, members the enabled ones, redacted. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { listMcpServerConfigs } from '../../../db/mcp-servers/queries.js';
import type { AppEnv } from '../../env.js';
import { validationHook } from '../../errors.js';
import { authenticate } from '../../middleware/authenticate.js';
import { McpServerConfigSchema, errorResponses } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/mcp/servers',
  tags: ['MCP servers'],
  summary: 'List MCP servers',
  security: [{ bearerAuth: [] }],
  middleware: [authenticate()] as const,
  responses: {
    200: {
      description: 'Configurations ordered by slug',
      content: { 'application/json': { schema: z.array(McpServerConfigSchema) } },
    },
    401: errorResponses[401],
    default: errorResponses.default,
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const servers = await listMcpServerConfigs(c.var.db, c.var.actor);
  return c.json(servers, 200);
});

export default app;
