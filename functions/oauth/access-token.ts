/**
 * The one way other code obtains a user's access token for an MCP server: it returns a token
 * that is valid now, refreshing it first when it is about to expire.
 *
 * One refresh at a time per token: callers in this process share one in-flight refresh, and
 * the row lock in `refreshUserToken` makes callers in other processes wait for it and then
 * read the refreshed token instead of redeeming the refresh token a second time.
 */
import type { Actor } from '../../db/actor.js';
import type { Keyring } from '../../db/crypto/index.js';
import type { Database } from '../../db/database.js';
import { readUserToken, refreshUserToken, type RefreshOutcome } from '../../db/oauth/tokens.js';
import type { Logger } from '../log.js';
import type { OutboundContext } from './http-options.js';
import { TokenRequestError, refreshTokens } from './token-client.js';

/** Tokens that expire within this margin are refreshed before use, so they do not expire in flight. */
export const expiryMarginMs = 60_000;

export interface AccessTokenContext {
  db: Database;
  keyring: Keyring;
  outbound: OutboundContext;
  log: Logger;
}

export interface UsableAccessToken {
  accessToken: string;
  /** The Authorization scheme, normally `Bearer`. */
  tokenType: string;
}

/**
 * The user must connect (again) before the server can be used. `reason`: `not_connected`,
 * `expired` (no refresh token), or the recorded refresh failure such as `invalid_grant`.
 */
export class OAuth2ConnectionRequiredError extends Error {
  constructor(readonly reason: string) {
    super('Connect your account to this MCP server first.');
    this.name = 'OAuth2ConnectionRequiredError';
  }
}

/** The provider could not be reached or failed temporarily; retrying later may work. */
export class OAuth2RefreshUnavailableError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('The authorization server could not refresh the token.', options);
    this.name = 'OAuth2RefreshUnavailableError';
  }
}

const inFlight = new Map<string, Promise<RefreshOutcome>>();

/**
 * Returns a usable access token of `actor` for `serverId`.
 * @throws OAuth2ConnectionRequiredError when the user holds no token or it cannot be refreshed.
 * @throws OAuth2RefreshUnavailableError when the refresh failed for a reason that may pass.
 * @throws NotFoundError when the server is unknown or hidden from the actor.
 * @example
 *   const { accessToken, tokenType } = await getUsableAccessToken(context, actor, serverId);
 *   headers.set('Authorization', `${tokenType} ${accessToken}`);
 */
export async function getUsableAccessToken(context: AccessTokenContext, actor: Actor, serverId: string): Promise<UsableAccessToken> {
  const { token } = await readUserToken(context.db, context.keyring, actor, serverId);
  if (!token) throw new OAuth2ConnectionRequiredError('not_connected');
  if (isFresh(token.expiry)) return { accessToken: await token.accessToken(), tokenType: token.tokenType };
  if (token.refreshFailureReason) throw new OAuth2ConnectionRequiredError(token.refreshFailureReason);
  if (!token.hasRefreshToken) throw new OAuth2ConnectionRequiredError('expired');

  const key = token.id;
  let refresh = inFlight.get(key);
  if (!refresh) {
    refresh = refreshOnce(context, actor, serverId).finally(() => inFlight.delete(key));
    inFlight.set(key, refresh);
  }
  const outcome = await refresh;
  switch (outcome.kind) {
    case 'refreshed':
      return { accessToken: outcome.set.accessToken, tokenType: outcome.set.tokenType };
    case 'still_valid':
      return { accessToken: outcome.accessToken, tokenType: outcome.tokenType };
    case 'unusable':
    case 'failed_permanently':
      throw new OAuth2ConnectionRequiredError(outcome.reason);
  }
}

function isFresh(expiry: Date | null): boolean {
  return expiry === null || expiry.getTime() - Date.now() > expiryMarginMs;
}

async function refreshOnce(context: AccessTokenContext, actor: Actor, serverId: string): Promise<RefreshOutcome> {
  // The settings are read again inside the refresh so a changed token URL or secret applies.
  const { settings } = await readUserToken(context.db, context.keyring, actor, serverId);
  try {
    const outcome = await refreshUserToken(context.db, context.keyring, actor, serverId, isFresh, async (refreshToken) => {
      try {
        return { kind: 'ok', set: await refreshTokens(context.outbound, settings, refreshToken) };
      } catch (error) {
        // RFC 6749 section 5.2: invalid_grant means the refresh token is revoked or expired; only a
        // new authorization helps. Other errors may pass and leave the token as it is.
        if (error instanceof TokenRequestError && error.providerError === 'invalid_grant') {
          return { kind: 'permanent_failure', reason: 'invalid_grant' };
        }
        throw error;
      }
    });
    context.log.info('oauth2_token_refresh', { server_id: serverId, outcome: outcome.kind });
    return outcome;
  } catch (error) {
    if (!(error instanceof TokenRequestError)) throw error;
    context.log.warn('oauth2_token_refresh_failed', {
      server_id: serverId,
      provider_error: error.providerError,
      provider_status: error.status,
      cause: causeName(error.cause),
    });
    throw new OAuth2RefreshUnavailableError({ cause: error });
  }
}

function causeName(cause: unknown): string | undefined {
  return cause instanceof Error ? cause.name : undefined;
}
