/** `PATCH /api/experimental/mcp/servers/{id}`: an admin changes the fields present in the body. */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { updateMcpServerConfig } from '../../../db/mcp-servers/queries.js';
import type { AppEnv } from '../../env.js';
import { validationFailed, validationHook } from '../../errors.js';
import { authenticate } from '../../middleware/authenticate.js';
import {
  ErrorSchema,
  IdParams,
  McpServerConfigSchema,
  McpServerPatchBody,
  adminErrorResponses,
  notFoundResponse,
  toSettingsInput,
  urlPolicyViolations,
} from './schemas.js';

const route = createRoute({
  method: 'patch',
  path: '/mcp/servers/{id}',
  tags: ['MCP servers'],
  summary: 'Update an MCP server',
  security: [{ bearerAuth: [] }],
  middleware: [authenticate({ role: 'admin' })] as const,
  request: {
    params: IdParams,
    body: { required: true, content: { 'application/json': { schema: McpServerPatchBody } } },
  },
  responses: {
    200: { description: 'The updated configuration', content: { 'application/json': { schema: McpServerConfigSchema } } },
    ...adminErrorResponses,
    ...notFoundResponse,
    409: { description: 'The new slug is taken', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const { id } = c.req.valid('param');
  const body = c.req.valid('json');
  const violations = urlPolicyViolations(body, c.var.runtime.config.allowLocalTargets);
  if (violations.length > 0) throw validationFailed(violations);

  const server = await updateMcpServerConfig(c.var.db, c.var.runtime.keyring, c.var.actor, id, toSettingsInput(body), {
    audit: { requestId: c.var.requestId },
  });

  return c.json(server, 200);
});

export default app;
