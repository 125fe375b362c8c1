/**
 * The public URLs of the OAuth flow, built from PUBLIC_BASE_URL only: a `Host` or
 * `X-Forwarded-*` header never shapes a redirect URI, so a proxy or a forged header cannot
 * redirect a code elsewhere.
 */
import type { OAuthConfig } from '../config.js';

const serversPath = '/api/experimental/mcp/servers';

export function callbackPath(serverId: string): string {
  return `${serversPath}/${serverId}/oauth2/callback`;
}

/** The cookie path: the callback path below the base URL's own path. */
export function callbackCookiePath(config: OAuthConfig, serverId: string): string {
  return `${config.publicBaseUrl.pathname.replace(/\/$/, '')}${callbackPath(serverId)}`;
}

export function redirectUri(config: OAuthConfig, serverId: string): string {
  return `${config.publicBaseUrl.href.replace(/\/$/, '')}${callbackPath(serverId)}`;
}

export function connectUrl(config: OAuthConfig, serverId: string, ticket: string): string {
  const url = new URL(`${config.publicBaseUrl.href.replace(/\/$/, '')}${serversPath}/${serverId}/oauth2/connect`);
  url.searchParams.set('ticket', ticket);
  return url.href;
}

/** Returns the URL of a server's client ID metadata document, which is also the client id. */
export function clientMetadataUrl(config: OAuthConfig, serverId: string): string {
  return `${config.publicBaseUrl.href.replace(/\/$/, '')}${serversPath}/${serverId}/oauth2/client-metadata`;
}
