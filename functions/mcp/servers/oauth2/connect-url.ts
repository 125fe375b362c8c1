/**
 * `POST /api/experimental/mcp/servers/{id}/oauth2/connect`: returns the URL the app opens in
 * a popup. A popup navigation cannot send a bearer header, so the URL carries a connect
 * ticket instead: signed, valid 60 seconds, for this user and this server only.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../../env.js';
import { validationHook } from '../../../errors.js';
import { authenticate } from '../../../middleware/authenticate.js';
import { signConnectTicket } from '../../../oauth/ticket.js';
import { connectUrl } from '../../../oauth/urls.js';
import { ErrorSchema, IdParams, errorResponses, notFoundResponse } from '../schemas.js';
import { loadConnectableServer, oauthConfigOf } from './shared.js';

const ConnectUrlSchema = z.object({ url: z.string().url() }).openapi('OAuth2ConnectUrl');

const route = createRoute({
  method: 'post',
  path: '/mcp/servers/{id}/oauth2/connect',
  tags: ['OAuth2'],
  summary: 'Get the URL that starts an OAuth connection in a popup',
  security: [{ bearerAuth: [] }],
  middleware: [authenticate()] as const,
  request: { params: IdParams },
  responses: {
    200: { description: 'The connect URL, valid for 60 seconds', content: { 'application/json': { schema: ConnectUrlSchema } } },
    ...errorResponses,
    ...notFoundResponse,
    503: { description: 'OAuth is not configured', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const { id } = c.req.valid('param');
  const config = oauthConfigOf(c);

  await loadConnectableServer(c, c.var.actor, id);

  const ticket = await signConnectTicket(config.stateSecret, c.var.actor, id);
  c.header('Cache-Control', 'no-store');
  return c.json({ url: connectUrl(config, id, ticket) }, 200);
});

export default app;
