/**
 * `DELETE /api/experimental/mcp/servers/{id}/oauth2/disconnect`: deletes the caller's token
 * (204 whether or not one existed) and then revokes it at the provider (RFC 7009), refresh
 * token first because revoking it usually ends the whole grant. A failed revocation is
 * logged and does not fail the request: the token is already gone from Switchboard.
 */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { deleteUserToken } from '../../../../db/oauth/tokens.js';
import type { AppEnv } from '../../../env.js';
import { validationHook } from '../../../errors.js';
import { authenticate } from '../../../middleware/authenticate.js';
import { revokeToken, TokenRequestError } from '../../../oauth/token-client.js';
import { IdParams, errorResponses, notFoundResponse } from '../schemas.js';
import { outboundOf } from './shared.js';

const route = createRoute({
  method: 'delete',
  path: '/mcp/servers/{id}/oauth2/disconnect',
  tags: ['OAuth2'],
  summary: "Delete and revoke the caller's OAuth token for a server",
  security: [{ bearerAuth: [] }],
  middleware: [authenticate()] as const,
  request: { params: IdParams },
  responses: {
    204: { description: 'Disconnected, or there was nothing to disconnect' },
    ...errorResponses,
    ...notFoundResponse,
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const { id } = c.req.valid('param');
  const { runtime } = c.var;

  const deleted = await deleteUserToken(c.var.db, runtime.keyring, c.var.actor, id, { audit: { requestId: c.var.requestId } });

  if (deleted?.settings.revocationUrl) {
    const revocations = [
      ...(deleted.refreshToken ? [{ token: deleted.refreshToken, hint: 'refresh_token' as const }] : []),
      { token: deleted.accessToken, hint: 'access_token' as const },
    ];
    for (const { token, hint } of revocations) {
      try {
        await revokeToken(outboundOf(runtime), deleted.settings, token, hint);
      } catch (error) {
        if (!(error instanceof TokenRequestError)) throw error;
        runtime.log.warn('oauth2_revocation_failed', {
          request_id: c.var.requestId,
          server_id: id,
          token_type_hint: hint,
          provider_error: error.providerError,
          provider_status: error.status,
        });
      }
    }
  }
  return c.body(null, 204);
});

export default app;
