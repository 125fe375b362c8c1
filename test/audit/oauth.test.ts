import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userIdForSubject } from '../../db/users.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { startOAuthProvider, type OAuthProviderFixture } from '../support/oauth-provider.js';
import { callback, createOAuthServer, serversPath, startConnect, storedTokens } from '../oauth/support.js';
import { auditTableDump, newAuditRows } from './support.js';

let t: TestApp;
let provider: OAuthProviderFixture;
let serverId: string;
let memberId: string;

beforeAll(async () => {
  provider = await startOAuthProvider({ providerPort: 55490, resourcePort: 55491 });
  t = await createTestApp();
  serverId = await createOAuthServer(t, 'audited-oauth', { url: provider.mcpUrl });
  memberId = await userIdForSubject('member-1');
});
afterAll(async () => {
  await t?.close();
  await provider?.close();
});

describe('audit of OAuth connections', () => {
  const tokenValues: string[] = [];

  it('records the redirect to the provider', async () => {
    const rows = await newAuditRows(t.database.db, () => startConnect(t, serverId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actorId: memberId,
      actorKind: 'user',
      actorSubject: 'member-1',
      action: 'oauth2.connect',
      resourceType: 'mcp_server',
      resourceId: serverId,
      outcome: 'success',
      diff: {},
    });
    expect(rows[0]!.requestId).toEqual(expect.any(String));
  });

  it('records a successful callback with token markers', async () => {
    const { location, cookie } = await startConnect(t, serverId);
    const redirect = await provider.authorize(location.href);
    const rows = await newAuditRows(t.database.db, async () => {
      expect((await callback(t, redirect, cookie)).status).toBe(200);
    });
    const [token] = await storedTokens(t, serverId, memberId);
    tokenValues.push(token!.accessToken, ...(token!.refreshToken ? [token!.refreshToken] : []));

    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'oauth2.callback', actorId: memberId, resourceId: serverId, outcome: 'success', failureCode: null });
    expect(rows[0]!.diff).toMatchObject({ access_token: '<set>' });
  });

  it('records a replayed callback as a failure', async () => {
    const { location, cookie } = await startConnect(t, serverId);
    const redirect = await provider.authorize(location.href);
    expect((await callback(t, redirect, cookie)).status).toBe(200);
    const [token] = await storedTokens(t, serverId, memberId);
    tokenValues.push(token!.accessToken);

    const rows = await newAuditRows(t.database.db, async () => {
      expect((await callback(t, redirect, cookie)).status).toBe(400);
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'oauth2.callback',
      actorId: memberId,
      actorSubject: 'member-1',
      outcome: 'failure',
      failureCode: 'oauth2_state_replayed',
      diff: {},
    });
  });

  it.each([
    ['oauth2_state_missing', (redirect: URL, _cookie: string) => callback(t, redirect, undefined)],
    ['oauth2_state_invalid', (redirect: URL, cookie: string) => callback(t, redirect, `${cookie.split('=')[0]}=garbage`)],
    [
      'oauth2_state_mismatch',
      (redirect: URL, cookie: string) => {
        const tampered = new URL(redirect);
        tampered.searchParams.set('state', 'x'.repeat(43));
        return callback(t, tampered, cookie);
      },
    ],
  ])('records a callback failure %s', async (code, send) => {
    const { location, cookie } = await startConnect(t, serverId);
    const redirect = await provider.authorize(location.href);
    const rows = await newAuditRows(t.database.db, async () => {
      expect((await send(redirect, cookie)).status).toBe(400);
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'oauth2.callback', resourceId: serverId, outcome: 'failure', failureCode: code });
    // Only an opened state cookie names the user.
    const known = code === 'oauth2_state_mismatch';
    expect(rows[0]!.actorKind).toBe(known ? 'user' : 'anonymous');
    expect(rows[0]!.actorId).toBe(known ? memberId : null);
  });

  it('records a disconnect, and a repeated one with an empty diff', async () => {
    const path = `${serversPath}/${serverId}/oauth2/disconnect`;
    const first = await newAuditRows(t.database.db, async () => {
      expect((await t.request('DELETE', path, { as: 'member' })).status).toBe(204);
    });
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ action: 'oauth2.disconnect', actorId: memberId, resourceId: serverId, outcome: 'success' });
    expect(first[0]!.diff).toMatchObject({ access_token: '<removed>' });

    const again = await newAuditRows(t.database.db, async () => {
      expect((await t.request('DELETE', path, { as: 'member' })).status).toBe(204);
    });
    expect(again).toHaveLength(1);
    expect(again[0]!.diff).toEqual({});
  });

  it('never stores a token or its ciphertext', async () => {
    const dump = await auditTableDump(t.database.db);
    expect(tokenValues.length).toBeGreaterThanOrEqual(2);
    for (const value of tokenValues) expect(dump).not.toContain(value);
    const secretFields = ['code', 'code_verifier', 'refresh_token', 'token', 'client_secret'];
    for (const form of provider.forms) {
      for (const field of secretFields) {
        const value = form.body[field];
        if (typeof value === 'string') expect(dump).not.toContain(value);
      }
    }
  });
});
