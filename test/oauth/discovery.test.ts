import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoveryError } from '../../functions/oauth/discovery.js';
import { registerClient } from '../../functions/oauth/registration.js';
import { createGuardedFetch } from '../../functions/outbound/guarded-fetch.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { serversPath } from './support.js';

const mcpUrl = 'https://mcp.example.com/mcp';
const issuer = 'https://auth.example.com';

/** Metadata documents by URL, served as JSON; anything else is a 404. */
function metadataFetch(documents: Record<string, unknown>, requests: string[] = []) {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    requests.push(`${init?.method ?? 'GET'} ${url}`);
    if (!(url in documents)) return new Response('not found', { status: 404 });
    return Response.json(documents[url], { status: init?.method === 'POST' ? 201 : 200 });
  }) as typeof fetch;
}

const resourceMetadata = { resource: mcpUrl, authorization_servers: [issuer], scopes_supported: ['read'] };
const serverMetadata = {
  issuer,
  authorization_endpoint: `${issuer}/authorize`,
  token_endpoint: `${issuer}/token`,
  registration_endpoint: `${issuer}/register`,
  code_challenge_methods_supported: ['S256'],
};

let t: TestApp;
/** The metadata the guarded client serves in the current test. */
let currentFetch: typeof fetch = metadataFetch({});
beforeAll(async () => {
  t = await createTestApp({
    fetchOutbound: createGuardedFetch({
      allowLocalTargets: false,
      fetch: (input, init) => currentFetch(input, init),
      resolveHost: async () => ['93.184.215.14'],
    }),
  });
});
afterAll(() => t.close());

async function appWith(documents: Record<string, unknown>, requests: string[] = []) {
  currentFetch = metadataFetch(documents, requests);
  return t;
}

let created = 0;
async function createDiscovered(app: TestApp) {
  const slug = `docs-${++created}`;
  return app.request('POST', serversPath, { body: { display_name: 'Docs', slug, url: mcpUrl, auth_type: 'oauth2', enabled: true } });
}

describe('POST /mcp/servers discovery failures', () => {
  it.each([
    ['no protected resource metadata', {}, 'protected_resource_metadata'],
    [
      'metadata for another resource',
      { [`https://mcp.example.com/.well-known/oauth-protected-resource/mcp`]: { ...resourceMetadata, resource: 'https://other.example.com/mcp' } },
      'protected_resource_metadata',
    ],
    [
      'an issuer mismatch',
      {
        'https://mcp.example.com/.well-known/oauth-protected-resource/mcp': resourceMetadata,
        [`${issuer}/.well-known/oauth-authorization-server`]: { ...serverMetadata, issuer: 'https://evil.example.com' },
      },
      'authorization_server_metadata',
    ],
    [
      'no S256',
      {
        'https://mcp.example.com/.well-known/oauth-protected-resource/mcp': resourceMetadata,
        [`${issuer}/.well-known/oauth-authorization-server`]: { ...serverMetadata, code_challenge_methods_supported: ['plain'] },
      },
      'authorization_server_metadata',
    ],
    [
      'no way to register',
      {
        'https://mcp.example.com/.well-known/oauth-protected-resource/mcp': resourceMetadata,
        [`${issuer}/.well-known/oauth-authorization-server`]: { ...serverMetadata, registration_endpoint: undefined },
      },
      'client_registration',
    ],
  ])('%s: 400 naming the step, nothing stored', async (_name, documents, step) => {
    const app = await appWith(documents);

    const response = await createDiscovered(app);

    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; message: string };
    expect(body.code).toBe('oauth2_discovery_failed');
    expect(body.message).toContain(step);
    expect(await (await app.request('GET', serversPath)).json()).toEqual([]);
    expect(app.logs.join('\n')).toContain(`"step":"${step}"`);
  });
});

describe('POST /mcp/servers discovery', () => {
  it('falls back to OpenID configuration and the root well-known URL', async () => {
    const requests: string[] = [];
    const app = await appWith(
      {
        'https://mcp.example.com/.well-known/oauth-protected-resource': { ...resourceMetadata, resource: 'https://mcp.example.com/' },
        [`${issuer}/.well-known/openid-configuration`]: serverMetadata,
        [`${issuer}/register`]: { client_id: 'registered', client_secret: 'registered-secret', client_secret_expires_at: 0, token_endpoint_auth_method: 'client_secret_basic' },
      },
      requests,
    );

    const response = await createDiscovered(app);

    expect(response.status, await response.clone().text()).toBe(201);
    expect(await response.json()).toMatchObject({ oauth2_client_id: 'registered', has_oauth2_secret: true, oauth2_scopes: 'read' });
    expect(requests).toEqual([
      `POST ${mcpUrl}`,
      'GET https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
      'GET https://mcp.example.com/.well-known/oauth-protected-resource',
      `GET ${issuer}/.well-known/oauth-authorization-server`,
      `GET ${issuer}/.well-known/openid-configuration`,
      `POST ${issuer}/register`,
    ]);
  });

  it('uses a client ID metadata document where the server supports one', async () => {
    const app = await appWith({
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp': resourceMetadata,
      [`${issuer}/.well-known/oauth-authorization-server`]: { ...serverMetadata, client_id_metadata_document_supported: true },
    });

    const created = await createDiscovered(app);
    const server = (await created.json()) as { id: string; oauth2_client_id: string; has_oauth2_secret: boolean };
    const documentUrl = new URL(server.oauth2_client_id);
    const document = await app.app.request(documentUrl.pathname);

    expect(created.status).toBe(201);
    expect(server.has_oauth2_secret).toBe(false);
    expect(documentUrl.pathname).toBe(`${serversPath}/${server.id}/oauth2/client-metadata`);
    expect(document.status).toBe(200);
    expect(await document.json()).toMatchObject({
      client_id: server.oauth2_client_id,
      redirect_uris: [`http://127.0.0.1:31450${serversPath}/${server.id}/oauth2/callback`],
      token_endpoint_auth_method: 'none',
    });
  });
});

describe('PATCH /mcp/servers/{id} on a discovered server', () => {
  it('forgets the discovered client when the URL moves', async () => {
    await appWith({
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp': resourceMetadata,
      [`${issuer}/.well-known/oauth-authorization-server`]: { ...serverMetadata, client_id_metadata_document_supported: true },
    });
    const created = (await (await createDiscovered(t)).json()) as { id: string; oauth2_client_id: string };
    expect(created.oauth2_client_id).not.toBe('');

    const moved = await t.request('PATCH', `${serversPath}/${created.id}`, { body: { url: 'https://mcp.example.org/mcp' } });

    expect(moved.status).toBe(200);
    expect(await moved.json()).toMatchObject({ oauth2_client_id: '', oauth2_auth_url: '', oauth2_token_url: '', oauth2_scopes: 'read' });
  });
});

describe('registerClient', () => {
  const outbound = (requests: string[]) => ({
    fetch: createGuardedFetch({
      allowLocalTargets: false,
      fetch: metadataFetch({ [`${issuer}/register`]: { client_id: 'new-client', client_secret: 's', client_secret_expires_at: 0, token_endpoint_auth_method: 'client_secret_basic' } }, requests),
      resolveHost: async () => ['93.184.215.14'],
    }),
    allowLocalTargets: false,
  });
  const request = (registeredAt: string) => ({
    issuerMetadata: serverMetadata,
    redirectUri: 'https://switchboard.example.com/cb',
    clientMetadataUrl: 'https://switchboard.example.com/cm',
    scopes: '',
    existing: {
      clientId: 'old-client',
      registration: { method: 'dynamic_registration' as const, issuer: registeredAt, registeredAt: '2026-01-01T00:00:00Z' },
      tokenEndpointAuthMethod: 'client_secret_basic' as const,
    },
  });

  it('reuses the registration made at the same issuer', async () => {
    const requests: string[] = [];
    const result = await registerClient(outbound(requests), request(issuer));
    expect(result.clientId).toBe('old-client');
    expect(result.clientSecret).toBeUndefined();
    expect(requests).toEqual([]);
  });

  it('registers again when the issuer changed', async () => {
    const requests: string[] = [];
    const result = await registerClient(outbound(requests), request('https://previous.example.com'));
    expect(result.clientId).toBe('new-client');
    expect(requests).toEqual([`POST ${issuer}/register`]);
  });

  it('raises DiscoveryError when registration is refused', async () => {
    const refusing = { fetch: createGuardedFetch({ allowLocalTargets: false, fetch: metadataFetch({}), resolveHost: async () => ['93.184.215.14'] }), allowLocalTargets: false };
    await expect(registerClient(refusing, request('https://previous.example.com'))).rejects.toBeInstanceOf(DiscoveryError);
  });
});

describe('POST /mcp/servers/{id}/oauth2/connect discovery', () => {
  it('discovers on first connect and hides the reason from members', async () => {
    await appWith({});
    const created = await t.request('POST', serversPath, {
      body: { display_name: 'Later', slug: 'later', url: mcpUrl, enabled: true },
    });
    const { id } = (await created.json()) as { id: string };
    expect((await t.request('PATCH', `${serversPath}/${id}`, { body: { auth_type: 'oauth2' } })).status).toBe(200);

    const failed = await t.request('POST', `${serversPath}/${id}/oauth2/connect`, { as: 'member' });
    const body = (await failed.json()) as { code: string; detail: string };
    expect(failed.status).toBe(400);
    expect(body.code).toBe('oauth2_discovery_failed');
    expect(JSON.stringify(body)).not.toContain('mcp.example.com');

    await appWith({
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp': resourceMetadata,
      [`${issuer}/.well-known/oauth-authorization-server`]: { ...serverMetadata, client_id_metadata_document_supported: true },
    });
    const connected = await t.request('POST', `${serversPath}/${id}/oauth2/connect`, { as: 'member' });
    expect(connected.status).toBe(200);
    const server = (await (await t.request('GET', `${serversPath}/${id}`)).json()) as { oauth2_client_id: string };
    expect(server.oauth2_client_id).toContain(`/oauth2/client-metadata`);
  });
});
