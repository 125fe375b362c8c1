/** `POST /api/experimental/mcp/servers`: an admin registers an MCP server. */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { createMcpServerConfig } from '../../../db/mcp-servers/queries.js';
import type { AppEnv } from '../../env.js';
import { validationFailed, validationHook } from '../../errors.js';
import { authenticate } from '../../middleware/authenticate.js';
import {
  ErrorSchema,
  McpServerConfigSchema,
  McpServerCreateBody,
  adminErrorResponses,
  toCreateInput,
  urlPolicyViolations,
} from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/mcp/servers',
  tags: ['MCP servers'],
  summary: 'Register an MCP server',
  security: [{ bearerAuth: [] }],
  middleware: [authenticate({ role: 'admin' })] as const,
  request: { body: { required: true, content: { 'application/json': { schema: McpServerCreateBody } } } },
  responses: {
    201: { description: 'The new configuration', content: { 'application/json': { schema: McpServerConfigSchema } } },
    ...adminErrorResponses,
    409: { description: 'The slug is taken', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const body = c.req.valid('json');
  const violations = urlPolicyViolations(body, c.var.runtime.config.allowLocalTargets);
  if (violations.length > 0) throw validationFailed(violations);

  const server = await createMcpServerConfig(c.var.db, c.var.runtime.keyring, c.var.actor, toCreateInput(body));

  return c.json(server, 201);
});

export default app;
