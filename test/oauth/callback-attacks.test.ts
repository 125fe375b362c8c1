import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { userIdForSubject } from '../../db/users.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { startOAuthProvider, type OAuthProviderFixture } from '../support/oauth-provider.js';
import { callback, createOAuthServer, serversPath, startConnect, storedTokens } from './support.js';

let t: TestApp;
let provider: OAuthProviderFixture;
let serverId: string;
let otherServerId: string;

beforeAll(async () => {
  provider = await startOAuthProvider({ providerPort: 31453, resourcePort: 31454 });
  t = await createTestApp();
  serverId = await createOAuthServer(t, 'attacked', { url: provider.mcpUrl });
  otherServerId = await createOAuthServer(t, 'bystander', { url: provider.mcpUrl });
});
afterAll(async () => {
  await t?.close();
  await provider?.close();
});

/** Runs a genuine flow up to the provider's redirect, which each attack then tampers with. */
async function genuineRedirect(id = serverId, as: 'member' | 'otherMember' = 'member') {
  const { location, cookie } = await startConnect(t, id, as);
  return { redirect: await provider.authorize(location.href), cookie };
}

function withParams(url: URL, change: (params: URLSearchParams) => void): URL {
  const copy = new URL(url);
  change(copy.searchParams);
  return copy;
}

type Attack = { name: string; status: number; code: string; run: () => Promise<Response> };

const attacks: Attack[] = [
  {
    name: 'missing cookie',
    status: 400,
    code: 'oauth2_state_missing',
    run: async () => callback(t, (await genuineRedirect()).redirect, undefined),
  },
  {
    name: 'tampered cookie',
    status: 400,
    code: 'oauth2_state_invalid',
    run: async () => {
      const { redirect, cookie } = await genuineRedirect();
      const [name, value] = cookie.split('=') as [string, string];
      const flipped = value.slice(0, -3) + (value.at(-3) === 'A' ? 'B' : 'A') + value.slice(-2);
      return callback(t, redirect, `${name}=${flipped}`);
    },
  },
  {
    name: 'expired cookie',
    status: 400,
    code: 'oauth2_state_invalid',
    run: async () => {
      const { redirect, cookie } = await genuineRedirect();
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 11 * 60_000 });
      try {
        return await callback(t, redirect, cookie);
      } finally {
        vi.useRealTimers();
      }
    },
  },
  {
    name: 'state mismatch',
    status: 400,
    code: 'oauth2_state_mismatch',
    run: async () => {
      const { redirect, cookie } = await genuineRedirect();
      return callback(t, withParams(redirect, (p) => p.set('state', 'x'.repeat(43))), cookie);
    },
  },
  {
    name: "another user's cookie",
    status: 400,
    code: 'oauth2_state_mismatch',
    run: async () => {
      const { redirect } = await genuineRedirect();
      const { cookie } = await startConnect(t, serverId, 'otherMember');
      return callback(t, redirect, cookie);
    },
  },
  {
    name: "another server's cookie",
    status: 400,
    code: 'oauth2_state_mismatch',
    run: async () => {
      const { redirect } = await genuineRedirect();
      const { cookie } = await startConnect(t, otherServerId);
      return callback(t, redirect, cookie);
    },
  },
  {
    name: 'missing code',
    status: 400,
    code: 'oauth2_code_missing',
    run: async () => {
      const { redirect, cookie } = await genuineRedirect();
      return callback(t, withParams(redirect, (p) => p.delete('code')), cookie);
    },
  },
  {
    name: 'wrong iss',
    status: 400,
    code: 'oauth2_issuer_mismatch',
    run: async () => {
      const { redirect, cookie } = await genuineRedirect();
      return callback(t, withParams(redirect, (p) => p.set('iss', 'https://attacker.example')), cookie);
    },
  },
  {
    name: 'missing iss when the provider advertises it',
    status: 400,
    code: 'oauth2_issuer_missing',
    run: async () => {
      const { redirect, cookie } = await genuineRedirect();
      return callback(t, withParams(redirect, (p) => p.delete('iss')), cookie);
    },
  },
  {
    name: 'provider error',
    status: 400,
    code: 'oauth2_access_denied',
    run: async () => {
      const { redirect, cookie } = await genuineRedirect();
      const denied = withParams(redirect, (p) => {
        p.delete('code');
        p.set('error', 'access_denied');
        p.set('error_description', '<script>alert("provider text")</script>');
      });
      return callback(t, denied, cookie);
    },
  },
  {
    name: 'hybrid id_token injected',
    status: 400,
    code: 'oauth2_invalid_response',
    run: async () => {
      const { redirect, cookie } = await genuineRedirect();
      return callback(t, withParams(redirect, (p) => p.set('id_token', 'eyJhbGciOiJub25lIn0.e30.')), cookie);
    },
  },
];

describe('GET /mcp/servers/{id}/oauth2/callback attacks', () => {
  it.each(attacks)('$name: $status $code, no token stored', async ({ status, code, run }) => {
    const response = await run();
    const html = await response.text();

    expect(response.status, html).toBe(status);
    expect(html).toContain(`"code":"${code}"`);
    expect(html).not.toContain('provider text');
    expect(response.headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(await storedTokens(t, serverId)).toHaveLength(0);
    expect(await storedTokens(t, otherServerId)).toHaveLength(0);
  });

  it('replay after success: 400, the stored token unchanged', async () => {
    const { redirect, cookie } = await genuineRedirect();
    expect((await callback(t, redirect, cookie)).status).toBe(200);
    const [stored] = await storedTokens(t, serverId, await userIdForSubject('member-1'));

    const replay = await callback(t, redirect, cookie);

    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('"code":"oauth2_state_replayed"');
    expect(await storedTokens(t, serverId)).toEqual([stored]);
    expect((await t.request('DELETE', `${serversPath}/${serverId}/oauth2/disconnect`, { as: 'member' })).status).toBe(204);
  });
});

describe('connect redirect targets', () => {
  it('ignores Host and forwarded headers when building the connect URL', async () => {
    const response = await t.request('POST', `${serversPath}/${serverId}/oauth2/connect`, {
      as: 'member',
      headers: { Host: 'attacker.example', 'X-Forwarded-Host': 'attacker.example', 'X-Forwarded-Proto': 'https' },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { url: string }).url).toMatch(/^http:\/\/127\.0\.0\.1:31450\/api\/experimental\//);
  });

  it('ignores a redirect_uri smuggled into the connect URL', async () => {
    const started = await t.request('POST', `${serversPath}/${serverId}/oauth2/connect`, { as: 'member' });
    const url = new URL(((await started.json()) as { url: string }).url);
    url.searchParams.set('redirect_uri', 'https://attacker.example/cb');

    const response = await t.app.request(`${url.pathname}${url.search}`, { headers: { 'X-Forwarded-Host': 'attacker.example' } });

    expect(response.status).toBe(307);
    const location = new URL(response.headers.get('Location')!);
    expect(location.searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:31450${serversPath}/${serverId}/oauth2/callback`);
  });

  it.each([
    ['no ticket', ''],
    ['a forged ticket', 'eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl'],
  ])('rejects %s with 401', async (_name, ticket) => {
    const response = await t.app.request(`${serversPath}/${serverId}/oauth2/connect${ticket ? `?ticket=${ticket}` : ''}`);
    expect(response.status).toBe(401);
  });

  it("rejects another server's ticket with 401", async () => {
    const started = await t.request('POST', `${serversPath}/${otherServerId}/oauth2/connect`, { as: 'member' });
    const ticket = new URL(((await started.json()) as { url: string }).url).searchParams.get('ticket')!;
    const response = await t.app.request(`${serversPath}/${serverId}/oauth2/connect?ticket=${ticket}`);
    expect(response.status).toBe(401);
  });
});

describe('callback with a private-address token URL', () => {
  it('502 from the outbound guard, no token stored', async () => {
    const guarded = await createTestApp({ allowLocalTargets: false });
    try {
      const id = await createOAuthServer(guarded, 'private-token-url', {
        url: 'https://mcp.example.com/mcp',
        oauth2_client_id: 'switchboard',
        oauth2_auth_url: 'https://auth.example.com/authorize',
        oauth2_token_url: 'https://10.0.0.1/token',
      });
      const { location, cookie } = await startConnect(guarded, id);
      const redirect = new URL(location.searchParams.get('redirect_uri')!);
      redirect.searchParams.set('code', 'stolen-or-genuine');
      redirect.searchParams.set('state', location.searchParams.get('state')!);

      const response = await callback(guarded, redirect, cookie);

      expect(response.status).toBe(502);
      expect(await response.text()).toContain('"code":"oauth2_token_exchange_failed"');
      expect(await storedTokens(guarded, id)).toHaveLength(0);
      expect(guarded.logs.join('\n')).toMatch(/oauth2_code_exchange_failed.*OutboundRequestError/);
    } finally {
      await guarded.close();
    }
  });
});
