/**
 * `GET /api/experimental/mcp/servers/{id}/tools`: the stored tool snapshot with its age and
 * outcome. Admins see every listed tool and whether it is allowed. Members see only the
 * allowed tools of enabled servers, and of a per-user OAuth server only their own snapshot.
 */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { readToolSnapshot } from '../../../db/mcp-tools/snapshots.js';
import type { AppEnv } from '../../env.js';
import { validationHook } from '../../errors.js';
import { authenticate } from '../../middleware/authenticate.js';
import { IdParams, errorResponses, notFoundResponse } from '../servers/schemas.js';
import { ToolSnapshotSchema, toSnapshotBody } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/mcp/servers/{id}/tools',
  tags: ['MCP tools'],
  summary: 'Read the tools an MCP server listed',
  security: [{ bearerAuth: [] }],
  middleware: [authenticate()] as const,
  request: { params: IdParams },
  responses: {
    200: { description: 'The snapshot; outcome never_fetched when none exists yet', content: { 'application/json': { schema: ToolSnapshotSchema } } },
    ...errorResponses,
    ...notFoundResponse,
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const { id } = c.req.valid('param');
  const { server, snapshot } = await readToolSnapshot(c.var.db, c.var.actor, id.toLowerCase());
  return c.json(toSnapshotBody(c.var.actor, server, snapshot), 200);
});

export default app;
