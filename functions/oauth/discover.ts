/**
 * Fills in the OAuth settings an admin left empty: protected resource metadata, then
 * authorization server metadata, then client registration. The result is only returned; the
 * caller stores it, so a failed step leaves nothing behind in the database.
 */
import type { OAuth2Discovery, TokenEndpointAuthMethod } from '../../db/oauth/settings.js';
import type { OAuth2Registration } from '../../db/schema.js';
import type { OAuthConfig } from '../config.js';
import { discoverAuthorizationServer, discoverProtectedResource } from './discovery.js';
import type { OutboundContext } from './http-options.js';
import { registerClient } from './registration.js';
import { clientMetadataUrl, redirectUri } from './urls.js';

export interface DiscoverOAuth2Request {
  serverId: string;
  mcpUrl: string;
  /** Scopes the admin chose; empty lets the resource's advertised scopes apply. */
  scopes: string;
  existing?: { clientId: string; registration: OAuth2Registration | null; tokenEndpointAuthMethod: TokenEndpointAuthMethod };
}

/** @throws DiscoveryError naming the step that failed. */
export async function discoverOAuth2(outbound: OutboundContext, config: OAuthConfig, request: DiscoverOAuth2Request): Promise<OAuth2Discovery> {
  const resource = await discoverProtectedResource(outbound, request.mcpUrl);
  const metadata = await discoverAuthorizationServer(outbound, resource.issuer);
  const discoveredScopes = request.scopes ? '' : resource.scopes.join(' ');
  const client = await registerClient(outbound, {
    issuerMetadata: metadata,
    redirectUri: redirectUri(config, request.serverId),
    clientMetadataUrl: clientMetadataUrl(config, request.serverId),
    scopes: request.scopes || discoveredScopes,
    existing: request.existing ?? { clientId: '', registration: null, tokenEndpointAuthMethod: 'none' },
  });
  return {
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    authUrl: metadata.authorization_endpoint!,
    tokenUrl: metadata.token_endpoint!,
    issuer: metadata.issuer,
    resource: resource.resource,
    revocationUrl: metadata.revocation_endpoint ?? '',
    tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
    issParameterRequired: metadata.authorization_response_iss_parameter_supported === true,
    registration: client.registration,
    scopes: discoveredScopes,
  };
}
