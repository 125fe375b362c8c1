/**
 * Registers Switchboard as a client of a discovered authorization server, once per issuer:
 * a registration made at the same issuer is reused, another issuer gets a new one.
 *
 * - Client ID metadata document, where the server advertises
 *   `client_id_metadata_document_supported`: the client id is the URL of a document that
 *   Switchboard serves, so nothing is registered and no secret exists.
 * - Otherwise dynamic client registration (RFC 7591) at `registration_endpoint`, as a `web`
 *   application with the one redirect URI of the server's callback.
 */
import * as oauth from 'oauth4webapi';
import type { TokenEndpointAuthMethod } from '../../db/oauth/settings.js';
import type { OAuth2Registration } from '../../db/schema.js';
import { DiscoveryError } from './discovery.js';
import { httpOptions, type OutboundContext } from './http-options.js';

export interface ClientRegistration {
  clientId: string;
  /** undefined keeps the stored secret; null means the client has none. */
  clientSecret: string | null | undefined;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  registration: OAuth2Registration;
}

export interface RegistrationRequest {
  issuerMetadata: oauth.AuthorizationServer;
  redirectUri: string;
  clientMetadataUrl: string;
  scopes: string;
  /** What the server stores now, reused when it was made at the same issuer. */
  existing: { clientId: string; registration: OAuth2Registration | null; tokenEndpointAuthMethod: TokenEndpointAuthMethod };
}

/** Preferred first: a confidential client authenticates; `none` only when the server offers nothing else. */
const authMethodPreference: TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'none'];

/** @throws DiscoveryError at step `client_registration`. */
export async function registerClient(outbound: OutboundContext, request: RegistrationRequest): Promise<ClientRegistration> {
  const as = request.issuerMetadata;
  const { existing } = request;
  if (existing.clientId && existing.registration?.issuer === as.issuer) {
    return {
      clientId: existing.clientId,
      clientSecret: undefined,
      tokenEndpointAuthMethod: existing.tokenEndpointAuthMethod,
      registration: existing.registration,
    };
  }

  if (as.client_id_metadata_document_supported === true) {
    return {
      clientId: request.clientMetadataUrl,
      clientSecret: null,
      tokenEndpointAuthMethod: 'none',
      registration: { method: 'client_id_metadata_document', issuer: as.issuer, registeredAt: new Date().toISOString() },
    };
  }

  if (!as.registration_endpoint) {
    throw new DiscoveryError(
      'client_registration',
      `${as.issuer} supports neither client ID metadata documents nor dynamic client registration; enter oauth2_client_id, oauth2_auth_url and oauth2_token_url by hand.`,
    );
  }

  // RFC 8414 section 2: a server that lists no methods supports client_secret_basic.
  const supported = as.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  const method = authMethodPreference.find((m) => supported.includes(m));
  if (!method) {
    throw new DiscoveryError('client_registration', `${as.issuer} offers no token endpoint authentication method Switchboard supports.`);
  }

  let client: Awaited<ReturnType<typeof oauth.processDynamicClientRegistrationResponse>>;
  try {
    const response = await oauth.dynamicClientRegistrationRequest(
      as,
      {
        client_name: 'Switchboard',
        application_type: 'web',
        redirect_uris: [request.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: method,
        ...(request.scopes ? { scope: request.scopes } : {}),
      },
      httpOptions(outbound),
    );
    client = await oauth.processDynamicClientRegistrationResponse(response);
  } catch (error) {
    throw new DiscoveryError('client_registration', `Dynamic client registration at ${as.registration_endpoint} failed.`, { cause: error });
  }

  const granted = typeof client.token_endpoint_auth_method === 'string' ? client.token_endpoint_auth_method : method;
  if (!authMethodPreference.includes(granted as TokenEndpointAuthMethod)) {
    throw new DiscoveryError('client_registration', `${as.issuer} registered the client for ${granted}, which Switchboard does not support.`);
  }
  const secret = typeof client.client_secret === 'string' && client.client_secret ? client.client_secret : null;
  if (granted !== 'none' && !secret) {
    throw new DiscoveryError('client_registration', `${as.issuer} registered a confidential client without a client_secret.`);
  }
  return {
    clientId: client.client_id,
    clientSecret: secret,
    tokenEndpointAuthMethod: granted as TokenEndpointAuthMethod,
    registration: {
      method: 'dynamic_registration',
      issuer: as.issuer,
      registeredAt: new Date().toISOString(),
      ...(typeof client.registration_client_uri === 'string' ? { registrationClientUri: client.registration_client_uri } : {}),
    },
  };
}
