import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpServerConfigs } from '../../db/schema.js';
import { ConfigError, readConfig } from '../../functions/config.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { createOAuthServer, serversPath } from './support.js';

const manual = {
  url: 'https://mcp.example.com/mcp',
  oauth2_client_id: 'switchboard',
  oauth2_auth_url: 'https://auth.example.com/authorize',
  oauth2_token_url: 'https://auth.example.com/token',
  oauth2_scopes: 'read write',
};

let t: TestApp;
let serverId: string;
beforeAll(async () => {
  t = await createTestApp({ publicBaseUrl: 'https://switchboard.example.com/base', appOrigin: 'https://chat.example.com' });
  serverId = await createOAuthServer(t, 'manual', manual);
});
afterAll(() => t.close());

async function connect(id: string, as: 'member' | 'admin' = 'member') {
  return t.request('GET', `${serversPath}/${id}/oauth2/connect`, { as });
}

describe('GET /mcp/servers/{id}/oauth2/connect', () => {
  it('redirects with state, PKCE S256, scopes and resource', async () => {
    const response = await connect(serverId);
    expect(response.status).toBe(307);
    const location = new URL(response.headers.get('Location')!);
    expect(`${location.origin}${location.pathname}`).toBe(manual.oauth2_auth_url);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'switchboard',
      redirect_uri: `https://switchboard.example.com/base${serversPath}/${serverId}/oauth2/callback`,
      code_challenge_method: 'S256',
      scope: 'read write',
      resource: manual.url,
    });
    expect(location.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    expect(location.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(response.headers.get('Referrer-Policy')).toBe('no-referrer');
  });

  it('sets a sealed, Secure, HttpOnly, Lax cookie scoped to the callback', async () => {
    const cookie = (await connect(serverId)).headers.get('Set-Cookie')!;
    expect(cookie).toMatch(/^__Secure-switchboard-oauth2-state=[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+;/);
    expect(cookie).toContain('Max-Age=600');
    expect(cookie).toContain(`Path=/base${serversPath}/${serverId}/oauth2/callback`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('SameSite=Lax');
  });

  it('rejects a server that is not oauth2', async () => {
    const created = await t.request('POST', serversPath, { body: { display_name: 'Plain', slug: 'plain', url: manual.url, enabled: true } });
    const { id } = (await created.json()) as { id: string };
    const response = await connect(id);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'not_oauth2' });
  });

  it('hides a disabled server from members and tells admins', async () => {
    const id = await createOAuthServer(t, 'disabled', { ...manual, enabled: false });
    expect((await connect(id, 'member')).status).toBe(404);
    const response = await connect(id, 'admin');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'server_disabled' });
  });

  it('names the settings an admin must complete', async () => {
    const id = await createOAuthServer(t, 'incomplete', manual);
    await t.database.db
      .update(mcpServerConfigs)
      .set({ oauth2TokenEndpointAuthMethod: 'client_secret_post' })
      .where(eq(mcpServerConfigs.id, id));

    const response = await t.request('POST', `${serversPath}/${id}/oauth2/connect`, { as: 'member' });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: 'oauth2_settings_incomplete',
      validations: [{ field: 'oauth2_client_secret' }],
    });
  });
});

describe('POST /mcp/servers/{id}/oauth2/connect', () => {
  it('returns a connect URL on the public base URL with a ticket', async () => {
    const response = await t.request('POST', `${serversPath}/${serverId}/oauth2/connect`, { as: 'member' });
    expect(response.status).toBe(200);
    const url = new URL(((await response.json()) as { url: string }).url);
    expect(`${url.origin}${url.pathname}`).toBe(`https://switchboard.example.com/base${serversPath}/${serverId}/oauth2/connect`);
    expect(url.searchParams.get('ticket')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('requires a bearer token', async () => {
    expect((await t.request('POST', `${serversPath}/${serverId}/oauth2/connect`, { as: 'anonymous' })).status).toBe(401);
  });
});

describe('readConfig OAuth settings', () => {
  const base = { AUTH_JWT_SECRET: 'x'.repeat(32) };

  it('leaves OAuth off when none is set', () => {
    expect(readConfig(base).oauth).toBeUndefined();
  });

  it.each([
    ['a missing secret', { PUBLIC_BASE_URL: 'https://s.example.com' }],
    ['a short secret', { PUBLIC_BASE_URL: 'https://s.example.com', OAUTH_STATE_SECRET: 'short' }],
    ['plain http off loopback', { PUBLIC_BASE_URL: 'http://s.example.com', OAUTH_STATE_SECRET: 'y'.repeat(32) }],
    ['an app origin with a path', { PUBLIC_BASE_URL: 'https://s.example.com', APP_ORIGIN: 'https://chat.example.com/app', OAUTH_STATE_SECRET: 'y'.repeat(32) }],
    ['a secret without a base URL', { OAUTH_STATE_SECRET: 'y'.repeat(32) }],
  ])('throws ConfigError for %s', (_name, env) => {
    expect(() => readConfig({ ...base, ...env })).toThrow(ConfigError);
  });

  it('turns Secure off only for plain-http loopback', () => {
    const local = readConfig({ ...base, PUBLIC_BASE_URL: 'http://127.0.0.1:8787', OAUTH_STATE_SECRET: 'y'.repeat(32) });
    expect(local.oauth?.secureCookies).toBe(false);
    expect(local.oauth?.appOrigin).toBe('http://127.0.0.1:8787');
  });
});
