/**
 * `GET /api/experimental/mcp/servers/{id}/oauth2/callback`: where the provider sends the
 * browser back. No bearer header arrives here. The sealed state cookie set at connect is the
 * only proof of who started the flow, so every check below fails closed:
 *
 * - the cookie must open (not tampered with, not expired) and name this server;
 * - `state` must equal the cookie's, compared in constant time (RFC 6749 section 10.12);
 * - a state is redeemed once, recorded server-side, so a replayed callback fails;
 * - `iss` must equal the issuer recorded at connect (RFC 9207 section 2.4), and must be
 *   present when the provider advertised `authorization_response_iss_parameter_supported`;
 * - the code is exchanged with the PKCE verifier, the recorded `resource` and the exact
 *   redirect URI.
 *
 * Every outcome is a small page that tells the opener and closes; the cookie is cleared.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';
import * as oauth from 'oauth4webapi';
import { adminRole, type UserActor } from '../../../../db/actor.js';
import { recordAuditEntry } from '../../../../db/audit/entries.js';
import { NotFoundError } from '../../../../db/errors.js';
import { getOAuth2ServerSettings } from '../../../../db/oauth/settings.js';
import { redeemOAuth2State } from '../../../../db/oauth/states.js';
import { storeUserToken } from '../../../../db/oauth/tokens.js';
import type { AppEnv } from '../../../env.js';
import { ApiError, validationHook } from '../../../errors.js';
import { completionPage } from '../../../oauth/completion-page.js';
import { openState, stateCookieName, type OAuth2State } from '../../../oauth/state-cookie.js';
import { TokenRequestError, clientOf, exchangeCode } from '../../../oauth/token-client.js';
import { callbackCookiePath } from '../../../oauth/urls.js';
import { IdParams } from '../schemas.js';
import { oauthConfigOf, outboundOf } from './shared.js';

const route = createRoute({
  method: 'get',
  path: '/mcp/servers/{id}/oauth2/callback',
  tags: ['OAuth2'],
  summary: 'OAuth redirect endpoint; answers a page that tells the opener and closes',
  request: { params: IdParams },
  responses: {
    200: { description: 'Connected', content: { 'text/html': { schema: z.string() } } },
    400: { description: 'Invalid, foreign or replayed state, or the provider refused', content: { 'text/html': { schema: z.string() } } },
    502: { description: 'The token exchange failed', content: { 'text/html': { schema: z.string() } } },
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const { id } = c.req.valid('param');
  const config = oauthConfigOf(c);
  const params = new URL(c.req.url).searchParams;
  const cookie = getCookie(c, stateCookieName(config));
  deleteCookie(c, stateCookieName(config), {
    path: callbackCookiePath(config, id),
    secure: config.secureCookies,
    httpOnly: true,
    sameSite: 'Lax',
  });

  const audit = { requestId: c.var.requestId };
  // Known once the state cookie opens; a failure before that is recorded without an actor.
  let actor: UserActor | null = null;
  try {
    const opened = cookie ? await openState(config, cookie) : undefined;
    // The cookie is sealed by Switchboard, so the user it names started this flow even when a check below fails.
    if (opened) actor = actorOf(opened);
    const state = await checkState(opened, cookie, id, params);
    const user = actorOf(state);
    if (!(await redeemOAuth2State(c.var.db, state.state, state.expiresAt))) {
      throw failure(400, 'oauth2_state_replayed', 'This sign-in was already completed.');
    }
    const settings = await getOAuth2ServerSettings(c.var.db, c.var.runtime.keyring, user, id).catch((error: unknown) => {
      if (error instanceof NotFoundError) throw failure(404, 'not_found', 'MCP server not found.');
      throw error;
    });
    if (settings.authType !== 'oauth2' || !settings.tokenUrl) {
      throw failure(400, 'not_oauth2', 'This MCP server no longer uses OAuth2.');
    }
    checkIssuer(params, state.issuer, settings.issParameterRequired);
    if (params.get('error')) {
      logProviderError(c, id, params.get('error'));
      throw failure(400, 'oauth2_access_denied', 'The authorization server did not grant access.');
    }
    if (!params.get('code')) throw failure(400, 'oauth2_code_missing', 'The authorization server sent no code.');

    const endpoints = { ...settings, resource: state.resource };
    const { as, client } = clientOf(endpoints);
    // `iss` was checked above against the issuer recorded at connect. oauth4webapi would
    // compare it with its own view of the issuer, which a hand-written configuration lacks.
    const response = new URLSearchParams(params);
    response.delete('iss');
    let validated: URLSearchParams;
    try {
      validated = oauth.validateAuthResponse({ ...as, authorization_response_iss_parameter_supported: false }, client, response, oauth.skipStateCheck);
    } catch {
      // JARM, implicit or hybrid parameters: nothing Switchboard asked for.
      throw failure(400, 'oauth2_invalid_response', 'The authorization response is not a plain code response.');
    }

    let tokens;
    try {
      tokens = await exchangeCode(outboundOf(c.var.runtime), endpoints, validated, state.redirectUri, state.verifier);
    } catch (error) {
      if (!(error instanceof TokenRequestError)) throw error;
      c.var.runtime.log.warn('oauth2_code_exchange_failed', {
        request_id: c.var.requestId,
        server_id: id,
        provider_error: error.providerError,
        provider_status: error.status,
        cause: error.cause instanceof Error ? error.cause.name : undefined,
        reason: error.cause instanceof Error && 'reason' in error.cause ? String(error.cause.reason) : undefined,
      });
      throw failure(502, 'oauth2_token_exchange_failed', 'The authorization server did not issue a token. Try again later.');
    }
    await storeUserToken(c.var.db, c.var.runtime.keyring, user, id, tokens, { audit });

    c.var.runtime.log.info('oauth2_connected', { request_id: c.var.requestId, server_id: id });
    return completionPage(c, 200, config.appOrigin, { type: 'switchboard:oauth2', serverId: id, status: 'connected' }, 'Connected. You can close this window.');
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    c.set('errorCode', error.code);
    // A rejected callback changes nothing else, so its entry is written on its own.
    // NOTE: this route needs no authentication, so anyone can add failure entries; nothing here limits their rate.
    await recordAuditEntry(
      c.var.db,
      actor,
      { action: 'oauth2.callback', resourceType: 'mcp_server', resourceId: id, failureCode: error.code },
      audit,
    );
    return completionPage(c, error.status, config.appOrigin, { type: 'switchboard:oauth2', serverId: id, status: 'error', code: error.code }, error.message);
  }
});

async function checkState(state: OAuth2State | undefined, cookie: string | undefined, id: string, params: URLSearchParams): Promise<OAuth2State> {
  if (!cookie) throw failure(400, 'oauth2_state_missing', 'The sign-in session was not found; start again from the app.');
  if (!state) throw failure(400, 'oauth2_state_invalid', 'The sign-in session is invalid or expired; start again from the app.');
  if (state.srv !== id) throw failure(400, 'oauth2_state_mismatch', 'The sign-in session belongs to another server.');
  const received = params.get('state') ?? '';
  if (!(await constantTimeEqual(received, state.state))) {
    throw failure(400, 'oauth2_state_mismatch', 'The sign-in response does not match this session.');
  }
  return state;
}

function checkIssuer(params: URLSearchParams, recordedIssuer: string, required: boolean): void {
  const iss = params.get('iss');
  if (iss === null) {
    if (required) throw failure(400, 'oauth2_issuer_missing', 'The authorization server did not identify itself.');
    return;
  }
  // A hand-written configuration records no issuer, so there is nothing to compare with.
  if (recordedIssuer && iss !== recordedIssuer) {
    throw failure(400, 'oauth2_issuer_mismatch', 'The response came from another authorization server.');
  }
}

function actorOf(state: OAuth2State): UserActor {
  return {
    kind: 'user',
    userId: state.uid,
    subject: state.sub,
    username: state.name,
    email: state.email,
    roles: state.roles,
    isAdmin: state.roles.includes(adminRole),
  };
}

function failure(status: 400 | 404 | 502, code: string, message: string): ApiError {
  return new ApiError(status, code, message);
}

/** Logs the provider's error code only when it is one of RFC 6749 section 4.1.2.1, never its description. */
function logProviderError(c: Context<AppEnv>, serverId: string, error: string | null): void {
  const known = ['invalid_request', 'unauthorized_client', 'access_denied', 'unsupported_response_type', 'invalid_scope', 'server_error', 'temporarily_unavailable'];
  c.var.runtime.log.info('oauth2_provider_error', {
    request_id: c.var.requestId,
    server_id: serverId,
    provider_error: error && known.includes(error) ? error : 'other',
  });
}

/** Compares two strings in time that depends only on their lengths, through HMAC digests of equal size. */
async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const key = await crypto.subtle.importKey('raw', crypto.getRandomValues(new Uint8Array(32)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const [x, y] = await Promise.all([a, b].map((s) => crypto.subtle.sign('HMAC', key, new TextEncoder().encode(s))));
  const left = new Uint8Array(x!);
  const right = new Uint8Array(y!);
  let diff = 0;
  for (let i = 0; i < left.length; i++) diff |= left[i]! ^ right[i]!;
  return diff === 0;
}

export default app;
