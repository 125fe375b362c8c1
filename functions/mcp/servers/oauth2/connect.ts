/**
 * `GET /api/experimental/mcp/servers/{id}/oauth2/connect`: starts the authorization code flow
 * with PKCE (RFC 7636, S256) and a resource indicator (RFC 8707), keeping state and verifier
 * in a sealed cookie, and redirects (307) to the provider. Authenticated by a bearer header
 * or by the connect ticket that `POST …/connect` put in the URL.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { MiddlewareHandler } from 'hono';
import * as oauth from 'oauth4webapi';
import { recordAuditEntry } from '../../../../db/audit/entries.js';
import type { AppEnv } from '../../../env.js';
import { ApiError, validationHook } from '../../../errors.js';
import { authenticate } from '../../../middleware/authenticate.js';
import { sealState, stateCookieName, stateLifetimeSeconds } from '../../../oauth/state-cookie.js';
import { verifyConnectTicket } from '../../../oauth/ticket.js';
import { callbackCookiePath, redirectUri } from '../../../oauth/urls.js';
import { ErrorSchema, IdParams, errorResponses, notFoundResponse } from '../schemas.js';
import { loadConnectableServer, oauthConfigOf } from './shared.js';

const route = createRoute({
  method: 'get',
  path: '/mcp/servers/{id}/oauth2/connect',
  tags: ['OAuth2'],
  summary: 'Redirect to the provider to connect an account',
  security: [{ bearerAuth: [] }],
  middleware: [bearerOrTicket()] as const,
  request: {
    params: IdParams,
    query: z.object({ ticket: z.string().max(4096).optional() }),
  },
  responses: {
    307: { description: 'Redirect to the authorization endpoint' },
    ...errorResponses,
    ...notFoundResponse,
    503: { description: 'OAuth is not configured', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const { id } = c.req.valid('param');
  const config = oauthConfigOf(c);
  const actor = c.var.actor;

  const settings = await loadConnectableServer(c, actor, id);

  const state = oauth.generateRandomState();
  const verifier = oauth.generateRandomCodeVerifier();
  const callbackUri = redirectUri(config, id);
  // RFC 8707 section 2: the MCP server's URL is the resource when discovery recorded none.
  const resource = settings.resource || settings.url;
  const cookie = await sealState(config, {
    state,
    verifier,
    uid: actor.userId,
    sub: actor.subject,
    name: actor.username,
    email: actor.email,
    roles: actor.roles,
    srv: id,
    issuer: settings.issuer,
    resource,
    redirectUri: callbackUri,
  });
  setCookie(c, stateCookieName(config), cookie, {
    httpOnly: true,
    secure: config.secureCookies,
    sameSite: 'Lax',
    path: callbackCookiePath(config, id),
    maxAge: stateLifetimeSeconds,
  });

  const authorization = new URL(settings.authUrl);
  authorization.searchParams.set('response_type', 'code');
  authorization.searchParams.set('client_id', settings.clientId);
  authorization.searchParams.set('redirect_uri', callbackUri);
  authorization.searchParams.set('state', state);
  authorization.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  authorization.searchParams.set('code_challenge_method', 'S256');
  if (settings.scopes) authorization.searchParams.set('scope', settings.scopes);
  authorization.searchParams.set('resource', resource);

  // Recorded when the redirect is issued; whether the user finishes is the callback's entry.
  await recordAuditEntry(c.var.db, actor, { action: 'oauth2.connect', resourceType: 'mcp_server', resourceId: id }, { requestId: c.var.requestId });

  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  return c.redirect(authorization.href, 307);
});

/** Accepts `Authorization: Bearer` like every endpoint, or else a valid connect ticket for this server. */
function bearerOrTicket(): MiddlewareHandler<AppEnv> {
  const bearer = authenticate();
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.header('Authorization')) return bearer(c, next);
    const ticket = c.req.query('ticket');
    const config = oauthConfigOf(c);
    const actor = ticket ? await verifyConnectTicket(config.stateSecret, ticket, c.req.param('id') ?? '') : undefined;
    if (!actor) {
      throw new ApiError(401, 'unauthenticated', 'Authentication required.', 'Start again from the app; connect links last 60 seconds.', [], {
        'WWW-Authenticate': 'Bearer realm="switchboard"',
      });
    }
    c.set('actor', actor);
    await next();
  });
}

export default app;
