import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userIdForSubject } from '../../db/users.js';
import { mcpServerUserTokens } from '../../db/schema.js';
import { readUserToken, refreshUserToken } from '../../db/oauth/tokens.js';
import { getUsableAccessToken } from '../../functions/oauth/access-token.js';
import { refreshTokens } from '../../functions/oauth/token-client.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { startOAuthProvider, type OAuthProviderFixture } from '../support/oauth-provider.js';
import { callback, createOAuthServer, getServer, serversPath, startConnect, storedTokens } from './support.js';

let t: TestApp;
let provider: OAuthProviderFixture;
let serverId: string;
let memberId: string;

beforeAll(async () => {
  provider = await startOAuthProvider({ providerPort: 31451, resourcePort: 31452 });
  t = await createTestApp();
  memberId = await userIdForSubject('member-1');
});
afterAll(async () => {
  await t?.close();
  await provider?.close();
});

const memberActor = async () => ({
  kind: 'user' as const,
  userId: memberId,
  subject: 'member-1',
  username: 'Mel Member',
  email: null,
  roles: [],
  isAdmin: false,
});

const tokenContext = () => ({
  db: t.database.db,
  keyring: t.keyring,
  outbound: { fetch: t.runtime.fetchOutbound, allowLocalTargets: true },
  log: t.runtime.log,
});

const refreshCount = () => provider.forms.filter((f) => f.body.grant_type === 'refresh_token').length;

async function expireToken(): Promise<void> {
  await t.database.db
    .update(mcpServerUserTokens)
    .set({ expiry: new Date(Date.now() - 1000) })
    .where(eq(mcpServerUserTokens.mcpServerConfigId, serverId));
}

describe('OAuth2 flow against oidc-provider', () => {
  it('discovers the client from the MCP URL alone', async () => {
    serverId = await createOAuthServer(t, 'discovered', { url: provider.mcpUrl });
    const server = await getServer(t, serverId);
    expect(server).toMatchObject({
      oauth2_auth_url: `${provider.issuer}/auth`,
      oauth2_token_url: `${provider.issuer}/token`,
      oauth2_scopes: 'mcp:tools',
      has_oauth2_secret: true,
      auth_connected: false,
    });
    expect(server.oauth2_client_id).not.toBe('');
    expect(provider.requests).toContain('POST /reg');
  });

  it('connects through login, consent and callback', async () => {
    const { location, cookie } = await startConnect(t, serverId);
    expect(location.origin).toBe(provider.issuer);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('resource')).toBe(provider.mcpUrl);
    expect(location.searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:31450${serversPath}/${serverId}/oauth2/callback`);

    const redirect = await provider.authorize(location.href);
    expect(redirect.searchParams.get('iss')).toBe(provider.issuer);
    const response = await callback(t, redirect, cookie);
    const html = await response.text();

    expect(response.status, html).toBe(200);
    expect(response.headers.get('Content-Security-Policy')).toMatch(/script-src 'nonce-[\w-]+'/);
    expect(response.headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(response.headers.get('Set-Cookie')).toMatch(/Max-Age=0/);
    expect(response.headers.get('Set-Cookie')).toContain(`Path=${serversPath}/${serverId}/oauth2/callback;`);
    expect(html).toContain('"status":"connected"');
    expect(html).toContain('"http://127.0.0.1:31450"');

    const exchange = provider.forms.find((f) => f.path === '/token' && f.body.grant_type === 'authorization_code');
    expect(exchange?.body.resource).toBe(provider.mcpUrl);
    expect(exchange?.body.code_verifier).toEqual(expect.any(String));
  });

  it('stores the tokens encrypted', async () => {
    const [row] = await storedTokens(t, serverId, memberId);
    expect(row?.accessToken).toMatch(/^v1:/);
    expect(row?.refreshToken).toMatch(/^v1:/);
    expect(row?.tokenType).toBe('Bearer');
    const { accessToken } = await getUsableAccessToken(tokenContext(), await memberActor(), serverId);
    expect(row?.accessToken).not.toContain(accessToken);
    expect(t.logs.join('\n')).not.toContain(accessToken);
  });

  it('reports auth_connected true to the member', async () => {
    const server = await getServer(t, serverId, 'member');
    expect(server.auth_connected).toBe(true);
    const other = await getServer(t, serverId, 'otherMember');
    expect(other.auth_connected).toBe(false);
  });

  it('refreshes an expired token and stores the rotated refresh token', async () => {
    const before = (await storedTokens(t, serverId, memberId))[0]!;
    const { accessToken: oldAccess } = await getUsableAccessToken(tokenContext(), await memberActor(), serverId);
    await t.database.db.update(mcpServerUserTokens).set({ expiry: new Date(Date.now() - 1000) }).where(eq(mcpServerUserTokens.id, before.id));

    const server = await getServer(t, serverId, 'member');
    expect(server.auth_connected).toBe(true);

    const refreshed = await getUsableAccessToken(tokenContext(), await memberActor(), serverId);
    expect(refreshed.accessToken).not.toBe(oldAccess);
    const after = (await storedTokens(t, serverId, memberId))[0]!;
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.expiry!.getTime()).toBeGreaterThan(Date.now());
    expect(provider.forms.filter((f) => f.body.grant_type === 'refresh_token')).toHaveLength(1);
  });

  it('records invalid_grant and reports auth_connected false', async () => {
    const row = (await storedTokens(t, serverId, memberId))[0]!;
    const encryptor = await t.keyring.encryptor(t.database.db);
    const bogus = await encryptor.encrypt({ table: 'mcp_server_user_tokens', column: 'refresh_token', keyIdColumn: 'refresh_token_key_id' }, row.id, 'not-a-refresh-token');
    await t.database.db
      .update(mcpServerUserTokens)
      .set({ expiry: new Date(Date.now() - 1000), refreshToken: bogus, refreshTokenKeyId: encryptor.keyId })
      .where(eq(mcpServerUserTokens.id, row.id));

    await expect(getUsableAccessToken(tokenContext(), await memberActor(), serverId)).rejects.toMatchObject({ reason: 'invalid_grant' });
    expect((await storedTokens(t, serverId, memberId))[0]?.refreshFailureReason).toBe('invalid_grant');
    const server = await getServer(t, serverId, 'member');
    expect(server.auth_connected).toBe(false);
  });

  it('calls the provider once for two concurrent refreshes', async () => {
    const { location, cookie } = await startConnect(t, serverId);
    expect((await callback(t, await provider.authorize(location.href), cookie)).status).toBe(200);
    await expireToken();
    const refreshesBefore = refreshCount();

    const [first, second] = await Promise.all([
      getUsableAccessToken(tokenContext(), await memberActor(), serverId),
      getUsableAccessToken(tokenContext(), await memberActor(), serverId),
    ]);

    expect(first.accessToken).toBe(second.accessToken);
    expect(refreshCount() - refreshesBefore).toBe(1);
  });

  it('calls the provider once when two processes refresh under the row lock', async () => {
    await expireToken();
    const refreshesBefore = refreshCount();
    const actor = await memberActor();
    const stillExpired = (expiry: Date | null) => expiry !== null && expiry.getTime() > Date.now() + 60_000;
    // Read before: inside the transaction only its own handle may be used.
    const { settings } = await readUserToken(t.database.db, t.keyring, actor, serverId);
    const redeem = async (refreshToken: string) => {
      return { kind: 'ok' as const, set: await refreshTokens(tokenContext().outbound, settings, refreshToken) };
    };

    // Bypasses the in-process single flight, as two separate processes would.
    const outcomes = await Promise.all([
      refreshUserToken(t.database.db, t.keyring, actor, serverId, stillExpired, redeem),
      refreshUserToken(t.database.db, t.keyring, actor, serverId, stillExpired, redeem),
    ]);

    expect(outcomes.map((o) => o.kind).sort()).toEqual(['refreshed', 'still_valid']);
    expect(refreshCount() - refreshesBefore).toBe(1);
  });

  it('revokes the refresh token first on disconnect', async () => {
    const { location, cookie } = await startConnect(t, serverId);
    expect((await callback(t, await provider.authorize(location.href), cookie)).status).toBe(200);
    const revocationsBefore = provider.forms.filter((f) => f.path === '/token/revocation').length;

    const response = await t.request('DELETE', `${serversPath}/${serverId}/oauth2/disconnect`, { as: 'member' });
    expect(response.status).toBe(204);
    expect(await storedTokens(t, serverId, memberId)).toHaveLength(0);
    const revocations = provider.forms.filter((f) => f.path === '/token/revocation').slice(revocationsBefore);
    expect(revocations.map((r) => r.body.token_type_hint)).toEqual(['refresh_token', 'access_token']);

    const again = await t.request('DELETE', `${serversPath}/${serverId}/oauth2/disconnect`, { as: 'member' });
    expect(again.status).toBe(204);
  });
});
