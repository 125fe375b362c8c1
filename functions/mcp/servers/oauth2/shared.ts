/**
 * Helpers the OAuth endpoints share: the deployment's OAuth settings, the outbound context,
 * and loading a server that a user may connect to, with discovery when its OAuth client
 * settings are still empty.
 */
import type { Context } from 'hono';
import type { UserActor } from '../../../../db/actor.js';
import { getOAuth2ServerSettings, saveOAuth2Discovery, type OAuth2ServerSettings } from '../../../../db/oauth/settings.js';
import type { OAuthConfig } from '../../../config.js';
import type { AppEnv, Runtime } from '../../../env.js';
import { ApiError } from '../../../errors.js';
import { discoverOAuth2 } from '../../../oauth/discover.js';
import { DiscoveryError } from '../../../oauth/discovery.js';
import type { OutboundContext } from '../../../oauth/http-options.js';

/** @throws ApiError 503 when the deployment has no OAuth settings. */
export function oauthConfigOf(c: Context<AppEnv>): OAuthConfig {
  const config = c.var.runtime.config.oauth;
  if (!config) {
    throw new ApiError(
      503,
      'oauth_not_configured',
      'OAuth connections are not configured on this deployment.',
      'The operator must set PUBLIC_BASE_URL and OAUTH_STATE_SECRET.',
    );
  }
  return config;
}

export function outboundOf(runtime: Runtime): OutboundContext {
  return { fetch: runtime.fetchOutbound, allowLocalTargets: runtime.config.allowLocalTargets };
}

/**
 * Loads a server the actor may connect to now, discovering its OAuth client when the admin
 * left client id, authorization URL and token URL empty.
 * @throws NotFoundError (404) when the server is unknown or hidden from a member.
 * @throws ApiError 400 when it is disabled, not `oauth2`, incomplete, or discovery fails.
 */
export async function loadConnectableServer(c: Context<AppEnv>, actor: UserActor, id: string): Promise<OAuth2ServerSettings> {
  const { db, runtime } = c.var;
  let settings = await getOAuth2ServerSettings(db, runtime.keyring, actor, id);
  if (!settings.enabled) {
    throw new ApiError(400, 'server_disabled', 'This MCP server is disabled.', 'An admin must enable it before users connect.');
  }
  if (settings.authType !== 'oauth2') {
    throw new ApiError(400, 'not_oauth2', 'This MCP server does not use OAuth2.', `Its auth_type is "${settings.authType}".`);
  }

  if (!settings.clientId && !settings.authUrl && !settings.tokenUrl) {
    await discoverInto(c, actor, settings);
    settings = await getOAuth2ServerSettings(db, runtime.keyring, actor, id);
  }

  const missing: { field: string; detail: string }[] = [];
  for (const [field, value] of [
    ['oauth2_client_id', settings.clientId],
    ['oauth2_auth_url', settings.authUrl],
    ['oauth2_token_url', settings.tokenUrl],
  ] as const) {
    if (!value) missing.push({ field, detail: 'Required to connect; an admin must set it.' });
  }
  if (settings.tokenEndpointAuthMethod !== 'none' && !settings.clientSecret) {
    missing.push({ field: 'oauth2_client_secret', detail: 'The provider expects a client secret; an admin must set it.' });
  }
  if (missing.length > 0) {
    throw new ApiError(
      400,
      'oauth2_settings_incomplete',
      'The OAuth settings of this MCP server are incomplete.',
      `An admin must set: ${missing.map((m) => m.field).join(', ')}.`,
      missing,
    );
  }
  return settings;
}

/** Runs discovery for a server and stores the result. */
async function discoverInto(c: Context<AppEnv>, actor: UserActor, settings: OAuth2ServerSettings): Promise<void> {
  const { db, runtime } = c.var;
  const config = oauthConfigOf(c);
  try {
    const discovery = await discoverOAuth2(outboundOf(runtime), config, {
      serverId: settings.id,
      mcpUrl: settings.url,
      scopes: settings.scopes,
      existing: {
        clientId: settings.clientId,
        registration: settings.registration,
        tokenEndpointAuthMethod: settings.tokenEndpointAuthMethod,
      },
    });
    await saveOAuth2Discovery(db, runtime.keyring, actor, settings.id, { url: settings.url }, discovery);
  } catch (error) {
    if (error instanceof DiscoveryError) throw discoveryFailed(c, error);
    throw error;
  }
}

/**
 * Builds the 400 of a failed discovery: the step and reason for admins, and what they can do
 * instead. Members get the step only, because the reason names URLs their view hides.
 */
export function discoveryFailed(c: Context<AppEnv>, error: DiscoveryError): ApiError {
  c.var.runtime.log.warn('oauth2_discovery_failed', {
    request_id: c.var.requestId,
    step: error.step,
    reason: error.reason,
    cause: error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : undefined,
  });
  const message = `OAuth discovery failed at step ${error.step}.`;
  if (!c.var.actor?.isAdmin) {
    return new ApiError(400, 'oauth2_discovery_failed', message, 'Ask an admin to check the OAuth settings of this MCP server.');
  }
  return new ApiError(
    400,
    'oauth2_discovery_failed',
    message,
    `${error.reason} Set oauth2_client_id, oauth2_auth_url and oauth2_token_url by hand to skip discovery.`,
    [{ field: 'url', detail: `Discovery failed at ${error.step}: ${error.reason}` }],
  );
}
