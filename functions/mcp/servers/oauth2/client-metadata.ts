/**
 * `GET /api/experimental/mcp/servers/{id}/oauth2/client-metadata`: the OAuth client ID
 * metadata document of a server whose authorization server accepts one. Its URL is the
 * client id; the authorization server fetches it to learn the redirect URI. Public, because
 * the authorization server fetches it without credentials, and it contains no secret.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { systemActor } from '../../../../db/actor.js';
import { getOAuth2ServerSettings } from '../../../../db/oauth/settings.js';
import { NotFoundError } from '../../../../db/errors.js';
import type { AppEnv } from '../../../env.js';
import { validationHook } from '../../../errors.js';
import { clientMetadataUrl, redirectUri } from '../../../oauth/urls.js';
import { ErrorSchema, IdParams } from '../schemas.js';
import { oauthConfigOf } from './shared.js';

const ClientMetadataSchema = z
  .object({
    client_id: z.string().url(),
    client_name: z.string(),
    redirect_uris: z.array(z.string().url()),
    grant_types: z.array(z.string()),
    response_types: z.array(z.string()),
    token_endpoint_auth_method: z.literal('none'),
    application_type: z.literal('web'),
  })
  .openapi('OAuth2ClientMetadata');

const route = createRoute({
  method: 'get',
  path: '/mcp/servers/{id}/oauth2/client-metadata',
  tags: ['OAuth2'],
  summary: 'Client ID metadata document for an authorization server that supports them',
  request: { params: IdParams },
  responses: {
    200: { description: 'The document', content: { 'application/json': { schema: ClientMetadataSchema } } },
    400: { description: 'The id is not a UUID', content: { 'application/json': { schema: ErrorSchema } } },
    404: { description: 'No such document', content: { 'application/json': { schema: ErrorSchema } } },
    default: { description: 'Any other error', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const { id } = c.req.valid('param');
  const config = oauthConfigOf(c);

  const settings = await getOAuth2ServerSettings(c.var.db, c.var.runtime.keyring, systemActor('client_metadata'), id);
  const documentUrl = clientMetadataUrl(config, id);
  // Only a client that was registered this way is served, so the route reveals nothing else.
  if (!settings.enabled || settings.authType !== 'oauth2' || settings.clientId !== documentUrl) throw new NotFoundError('Client metadata');

  c.header('Cache-Control', 'public, max-age=300');
  return c.json(
    {
      client_id: documentUrl,
      client_name: 'Switchboard',
      redirect_uris: [redirectUri(config, id)],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none' as const,
      application_type: 'web' as const,
    },
    200,
  );
});

export default app;
