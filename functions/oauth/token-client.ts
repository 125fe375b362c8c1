/**
 * Calls to the provider's token and revocation endpoints through oauth4webapi, with the
 * client authentication the provider's metadata asked for (`client_secret_basic`,
 * `client_secret_post` or `none`) and `resource` (RFC 8707) on every token request.
 */
import * as oauth from 'oauth4webapi';
import type { OAuth2ServerSettings } from '../../db/oauth/settings.js';
import { httpOptions, type OutboundContext } from './http-options.js';

export interface TokenSet {
  accessToken: string;
  tokenType: string;
  /** undefined when the provider issued none; on refresh, keep the old one. */
  refreshToken: string | undefined;
  /** null when the provider gave no lifetime. */
  expiry: Date | null;
}

/**
 * A failed token request. `providerError` is the OAuth error code (RFC 6749 section 5.2)
 * when the provider sent one: a fixed ASCII vocabulary, safe to log and to compare.
 */
export class TokenRequestError extends Error {
  constructor(
    readonly providerError: string | undefined,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(`The token request failed${providerError ? ` with ${providerError}` : ''}.`, options);
    this.name = 'TokenRequestError';
  }
}

export type OAuth2Endpoints = Pick<
  OAuth2ServerSettings,
  'issuer' | 'authUrl' | 'tokenUrl' | 'revocationUrl' | 'clientId' | 'clientSecret' | 'tokenEndpointAuthMethod' | 'resource'
>;

/** Exchanges an authorization code (RFC 6749 section 4.1.3, RFC 7636 section 4.5). */
export async function exchangeCode(
  outbound: OutboundContext,
  settings: OAuth2Endpoints,
  callbackParameters: URLSearchParams,
  redirectUri: string,
  codeVerifier: string,
): Promise<TokenSet> {
  return tokenRequest(async (as, client, auth) => {
    const response = await oauth.authorizationCodeGrantRequest(as, client, auth, callbackParameters, redirectUri, codeVerifier, {
      ...resourceParameter(settings),
      ...httpOptions(outbound),
    });
    return oauth.processAuthorizationCodeResponse(as, client, response);
  }, settings);
}

/** Redeems a refresh token (RFC 6749 section 6). */
export async function refreshTokens(outbound: OutboundContext, settings: OAuth2Endpoints, refreshToken: string): Promise<TokenSet> {
  return tokenRequest(async (as, client, auth) => {
    const response = await oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, {
      ...resourceParameter(settings),
      ...httpOptions(outbound),
    });
    return oauth.processRefreshTokenResponse(as, client, response);
  }, settings);
}

/** Revokes one token (RFC 7009 section 2.1). */
export async function revokeToken(
  outbound: OutboundContext,
  settings: OAuth2Endpoints,
  token: string,
  hint: 'refresh_token' | 'access_token',
): Promise<void> {
  const { as, client, auth } = clientOf(settings);
  try {
    const response = await oauth.revocationRequest(as, client, auth, token, {
      additionalParameters: { token_type_hint: hint },
      ...httpOptions(outbound),
    });
    await oauth.processRevocationResponse(response);
  } catch (error) {
    throw toTokenRequestError(error);
  }
}

/** The oauth4webapi views of a configuration: server metadata, client, client authentication. */
export function clientOf(settings: OAuth2Endpoints) {
  const as: oauth.AuthorizationServer = {
    // A hand-written configuration has no recorded issuer; nothing here compares it.
    issuer: settings.issuer || new URL(settings.tokenUrl).origin,
    authorization_endpoint: settings.authUrl,
    token_endpoint: settings.tokenUrl,
    ...(settings.revocationUrl ? { revocation_endpoint: settings.revocationUrl } : {}),
  };
  const client: oauth.Client = { client_id: settings.clientId };
  const secret = settings.clientSecret ?? '';
  const auth =
    settings.tokenEndpointAuthMethod === 'client_secret_post'
      ? oauth.ClientSecretPost(secret)
      : settings.tokenEndpointAuthMethod === 'client_secret_basic'
        ? oauth.ClientSecretBasic(secret)
        : oauth.None();
  return { as, client, auth };
}

async function tokenRequest(
  run: (as: oauth.AuthorizationServer, client: oauth.Client, auth: oauth.ClientAuth) => Promise<oauth.TokenEndpointResponse>,
  settings: OAuth2Endpoints,
): Promise<TokenSet> {
  const { as, client, auth } = clientOf(settings);
  let result: oauth.TokenEndpointResponse;
  try {
    result = await run(as, client, auth);
  } catch (error) {
    throw toTokenRequestError(error);
  }
  return {
    accessToken: result.access_token,
    tokenType: normaliseTokenType(result.token_type),
    refreshToken: result.refresh_token || undefined,
    expiry: typeof result.expires_in === 'number' ? new Date(Date.now() + result.expires_in * 1000) : null,
  };
}

function resourceParameter(settings: OAuth2Endpoints) {
  return settings.resource ? { additionalParameters: { resource: settings.resource } } : {};
}

/** RFC 6749 section 7.1 makes the type case-insensitive; the Authorization scheme is spelled `Bearer`. */
function normaliseTokenType(type: string): string {
  return type.toLowerCase() === 'bearer' ? 'Bearer' : type;
}

function toTokenRequestError(error: unknown): TokenRequestError {
  if (error instanceof oauth.ResponseBodyError) {
    return new TokenRequestError(/^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(error.error) ? error.error : 'invalid_response', error.status, {
      cause: error,
    });
  }
  return new TokenRequestError(undefined, undefined, { cause: error });
}
