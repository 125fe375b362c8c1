/**
 * `POST /api/experimental/mcp/servers`: an admin registers an MCP server. An `oauth2` server
 * without client id and endpoints has them discovered from its URL before it is stored.
 */
import { OpenAPIHono, createRoute, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { checkCreateRules, createMcpServerConfig } from '../../../db/mcp-servers/queries.js';
import type { OAuth2Discovery } from '../../../db/oauth/settings.js';
import { discoverOAuth2 } from '../../oauth/discover.js';
import { DiscoveryError } from '../../oauth/discovery.js';
import { discoveryFailed, oauthConfigOf, outboundOf } from './oauth2/shared.js';
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

  const input = toCreateInput(body);
  checkCreateRules(input);
  const id = crypto.randomUUID();
  const discovery = needsDiscovery(body) ? await discover(c, id, input.url, input.oauth2Scopes ?? '') : undefined;

  const server = await createMcpServerConfig(c.var.db, c.var.runtime.keyring, c.var.actor, input, {
    id,
    ...(discovery ? { discovery } : {}),
    audit: { requestId: c.var.requestId },
  });

  return c.json(server, 201);
});

/** Tells whether the body is an `oauth2` server with client id, authorization URL and token URL all empty. */
function needsDiscovery(body: z.infer<typeof McpServerCreateBody>): boolean {
  return body.auth_type === 'oauth2' && !body.oauth2_client_id && !body.oauth2_auth_url && !body.oauth2_token_url;
}

/**
 * Runs discovery before anything is stored, so a failure leaves no row behind.
 * @throws ApiError 400 naming the step that failed.
 */
async function discover(c: Context<AppEnv>, id: string, url: string, scopes: string): Promise<OAuth2Discovery> {
  const config = oauthConfigOf(c);
  try {
    return await discoverOAuth2(outboundOf(c.var.runtime), config, { serverId: id, mcpUrl: url, scopes });
  } catch (error) {
    if (error instanceof DiscoveryError) throw discoveryFailed(c, error);
    throw error;
  }
}

export default app;
