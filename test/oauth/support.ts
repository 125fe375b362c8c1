/** Steps of the OAuth flow that several suites repeat: create a server, connect, read tokens. */
import { expect } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { mcpServerUserTokens } from '../../db/schema.js';
import type { Caller, TestApp } from '../support/harness.js';

export const serversPath = '/api/experimental/mcp/servers';

/** Creates and enables an `oauth2` server with `overrides`; returns its id. */
export async function createOAuthServer(t: TestApp, slug: string, overrides: Record<string, unknown>): Promise<string> {
  const response = await t.request('POST', serversPath, {
    body: { display_name: slug, slug, auth_type: 'oauth2', enabled: true, ...overrides },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

/** POST connect, then GET the ticket URL; returns the provider URL and the state cookie. */
export async function startConnect(t: TestApp, serverId: string, as: Caller = 'member'): Promise<{ location: URL; cookie: string }> {
  const started = await t.request('POST', `${serversPath}/${serverId}/oauth2/connect`, { as });
  expect(started.status, await started.clone().text()).toBe(200);
  const { url } = (await started.json()) as { url: string };
  const connectUrl = new URL(url);

  const redirected = await t.app.request(`${connectUrl.pathname}${connectUrl.search}`);
  expect(redirected.status, await redirected.clone().text()).toBe(307);
  const setCookie = redirected.headers.get('Set-Cookie') ?? '';
  return { location: new URL(redirected.headers.get('Location')!), cookie: setCookie.split(';')[0]! };
}

/** Sends the browser's callback request: the provider's redirect plus the cookie. */
export function callback(t: TestApp, redirect: URL, cookie: string | undefined): Promise<Response> {
  return Promise.resolve(t.app.request(`${redirect.pathname}${redirect.search}`, { headers: cookie ? { Cookie: cookie } : {} }));
}

/** Reads the stored token rows of a server, ciphertexts included. */
export async function storedTokens(t: TestApp, serverId: string, userId?: string) {
  return t.database.db
    .select()
    .from(mcpServerUserTokens)
    .where(
      userId
        ? and(eq(mcpServerUserTokens.mcpServerConfigId, serverId), eq(mcpServerUserTokens.userId, userId))
        : eq(mcpServerUserTokens.mcpServerConfigId, serverId),
    );
}

/** GET one server as `as`; the fields the OAuth tests read. */
export async function getServer(t: TestApp, serverId: string, as: Caller = 'admin') {
  const response = await t.request('GET', `${serversPath}/${serverId}`, { as });
  return (await response.json()) as Record<string, unknown> & { auth_connected: boolean; oauth2_client_id: string };
}
