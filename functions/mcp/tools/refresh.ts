/**
 * `POST /api/experimental/mcp/servers/{id}/tools/refresh`: connects to the server now and
 * records the tools it lists. Admins refresh the shared snapshot of a server; any user
 * refreshes their own snapshot of a per-user OAuth server, which needs their token.
 * A server that cannot be reached still gets a 200, because the snapshot records the failure.
 */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { isPrivileged } from '../../../db/actor.js';
import { AccessDeniedError } from '../../../db/errors.js';
import { readToolSnapshot } from '../../../db/mcp-tools/snapshots.js';
import type { AppEnv } from '../../env.js';
import { ApiError, validationHook } from '../../errors.js';
import { authenticate } from '../../middleware/authenticate.js';
import { connectEndpoint } from '../../tools/governance.js';
import { refreshToolSnapshot } from '../../tools/discovery.js';
import { ErrorSchema, IdParams, errorResponses, notFoundResponse } from '../servers/schemas.js';
import { ToolSnapshotSchema, toSnapshotBody } from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/mcp/servers/{id}/tools/refresh',
  tags: ['MCP tools'],
  summary: 'List the tools of an MCP server now',
  security: [{ bearerAuth: [] }],
  middleware: [authenticate()] as const,
  request: { params: IdParams },
  responses: {
    200: { description: 'The new snapshot, successful or not', content: { 'application/json': { schema: ToolSnapshotSchema } } },
    ...errorResponses,
    403: { description: 'A member asked to refresh a shared snapshot', content: { 'application/json': { schema: ErrorSchema } } },
    ...notFoundResponse,
    409: { description: 'The caller has not connected this OAuth server', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const { id } = c.req.valid('param');
  const actor = c.var.actor;

  const { server } = await readToolSnapshot(c.var.db, actor, id.toLowerCase());
  if (server.scope === 'shared' && !isPrivileged(actor)) {
    throw new AccessDeniedError('Only admins refresh the tools of a server shared by all users.');
  }

  const context = { db: c.var.db, runtime: c.var.runtime, requestId: c.var.requestId };
  const result = await refreshToolSnapshot(context, actor, server.id, server.scope);
  if (result.kind === 'needs_auth') {
    throw new ApiError(
      409,
      'auth_required',
      'Connect your account to this server first.',
      `Start the connection with POST ${connectEndpoint(server.id)}.`,
    );
  }

  return c.json(toSnapshotBody(actor, server, result.snapshot), 200);
});

export default app;
