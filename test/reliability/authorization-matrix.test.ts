/**
 * Every route the composed app serves, against every kind of caller, with the exact status
 * each one gets. The list of routes comes from the app itself, so a route added without a
 * row here, or a row left behind for a removed route, fails the suite.
 *
 * Each row names real objects: enabled and disabled servers, OAuth2 servers, a server that
 * serves its client metadata document, and a chat of each member.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientMetadataUrl } from '../../functions/oauth/urls.js';
import { callers, createTestApp, serverBody, type Caller, type TestApp } from '../support/harness.js';

const api = '/api/experimental';
const servers = `${api}/mcp/servers`;
/** A loopback port in this suite's range where nothing listens, so a tool refresh fails fast. */
const closedPort = 31496;

let t: TestApp;
/** Ids of the objects that the rows refer to, set up once before the rows run. */
const ids = {
  enabled: '',
  disabled: '',
  oauth2: '',
  oauth2Disabled: '',
  metadata: '',
  memberChat: '',
  otherMemberChat: '',
  /** A connect ticket that the member received for the `oauth2` server. */
  memberTicket: '',
};
const unknownId = '00000000-0000-4000-8000-000000000000';
let created = 0;

beforeAll(async () => {
  t = await createTestApp();

  ids.enabled = await createServer('matrix-enabled', { enabled: true, url: `http://127.0.0.1:${closedPort}/mcp` });
  ids.disabled = await createServer('matrix-disabled', { url: `http://127.0.0.1:${closedPort}/mcp` });
  ids.oauth2 = await createServer('matrix-oauth2', { enabled: true, ...oauth2Settings });
  ids.oauth2Disabled = await createServer('matrix-oauth2-disabled', oauth2Settings);

  // The client id of a server registered by client ID metadata document is the document's URL.
  ids.metadata = await createServer('matrix-metadata', { enabled: true, ...oauth2Settings, oauth2_client_secret: null });
  const metadataUrl = clientMetadataUrl(t.runtime.config.oauth!, ids.metadata);
  await expectStatus(t.request('PATCH', `${servers}/${ids.metadata}`, { body: { oauth2_client_id: metadataUrl } }), 200);

  ids.memberChat = await createChat('member');
  ids.otherMemberChat = await createChat('otherMember');

  const connect = await expectStatus(t.request('POST', `${servers}/${ids.oauth2}/oauth2/connect`, { as: 'member' }), 200);
  ids.memberTicket = new URL((await connect.json()).url).searchParams.get('ticket')!;
});
afterAll(() => t.close());

const oauth2Settings = {
  auth_type: 'oauth2',
  url: 'https://mcp.example.com/oauth2',
  oauth2_client_id: 'switchboard-matrix',
  oauth2_client_secret: 'matrix-client-secret',
  oauth2_auth_url: 'https://auth.example.com/authorize',
  oauth2_token_url: 'https://auth.example.com/token',
};

type Expected = Record<Caller, number>;

/** One request of a row: the object it targets and the status each caller gets. */
interface Probe {
  target: string;
  /** Resolved per request, because ids exist only after setup and some rows need a fresh object. */
  path: () => string | Promise<string>;
  body?: (caller: Caller) => unknown;
  expected: Expected;
}

/** Statuses of a route behind bearer authentication: the three rejected callers get 401. */
function bearer(statuses: Pick<Expected, 'member' | 'otherMember' | 'admin'>): Expected {
  return { anonymous: 401, badSignature: 401, expired: 401, ...statuses };
}

/** Statuses of a public route, which ignores the Authorization header. */
function everyone(status: number): Expected {
  return { anonymous: status, badSignature: status, expired: status, member: status, otherMember: status, admin: status };
}

/** Keys are `METHOD path` exactly as the composed app lists its routes. */
const matrix: Record<string, Probe[]> = {
  'GET /healthz': [{ target: 'the service', path: () => '/healthz', expected: everyone(200) }],
  [`GET ${api}/openapi.json`]: [{ target: 'the document', path: () => `${api}/openapi.json`, expected: everyone(200) }],
  [`GET ${api}/docs`]: [{ target: 'the reference page', path: () => `${api}/docs`, expected: everyone(200) }],
  [`GET ${api}/audit-logs`]: [{ target: 'the audit log', path: () => `${api}/audit-logs`, expected: bearer({ member: 403, otherMember: 403, admin: 200 }) }],

  [`GET ${servers}`]: [{ target: 'every server', path: () => servers, expected: bearer({ member: 200, otherMember: 200, admin: 200 }) }],
  [`POST ${servers}`]: [
    {
      target: 'a new server',
      path: () => servers,
      body: () => serverBody(`matrix-new-${++created}`),
      expected: bearer({ member: 403, otherMember: 403, admin: 201 }),
    },
  ],
  [`GET ${servers}/:id`]: [
    { target: 'an enabled server', path: () => `${servers}/${ids.enabled}`, expected: bearer({ member: 200, otherMember: 200, admin: 200 }) },
    { target: 'a disabled server', path: () => `${servers}/${ids.disabled}`, expected: bearer({ member: 404, otherMember: 404, admin: 200 }) },
    { target: 'an unknown server', path: () => `${servers}/${unknownId}`, expected: bearer({ member: 404, otherMember: 404, admin: 404 }) },
  ],
  [`PATCH ${servers}/:id`]: [
    {
      target: 'an enabled server',
      path: () => `${servers}/${ids.enabled}`,
      body: () => ({ description: 'changed by the matrix' }),
      expected: bearer({ member: 403, otherMember: 403, admin: 200 }),
    },
    {
      target: 'a disabled server',
      path: () => `${servers}/${ids.disabled}`,
      body: () => ({ description: 'changed by the matrix' }),
      expected: bearer({ member: 403, otherMember: 403, admin: 200 }),
    },
    {
      target: 'an unknown server',
      path: () => `${servers}/${unknownId}`,
      body: () => ({ description: 'changed by the matrix' }),
      expected: bearer({ member: 403, otherMember: 403, admin: 404 }),
    },
  ],
  [`DELETE ${servers}/:id`]: [
    {
      target: 'an existing server',
      path: async () => `${servers}/${await createServer(`matrix-doomed-${++created}`, { enabled: true })}`,
      expected: bearer({ member: 403, otherMember: 403, admin: 204 }),
    },
    { target: 'an unknown server', path: () => `${servers}/${unknownId}`, expected: bearer({ member: 403, otherMember: 403, admin: 404 }) },
  ],

  [`POST ${servers}/:id/oauth2/connect`]: [
    {
      target: 'an enabled oauth2 server',
      path: () => `${servers}/${ids.oauth2}/oauth2/connect`,
      expected: bearer({ member: 200, otherMember: 200, admin: 200 }),
    },
    {
      target: 'a disabled oauth2 server',
      path: () => `${servers}/${ids.oauth2Disabled}/oauth2/connect`,
      expected: bearer({ member: 404, otherMember: 404, admin: 400 }),
    },
    {
      target: 'a server without oauth2',
      path: () => `${servers}/${ids.enabled}/oauth2/connect`,
      expected: bearer({ member: 400, otherMember: 400, admin: 400 }),
    },
    {
      target: 'an unknown server',
      path: () => `${servers}/${unknownId}/oauth2/connect`,
      expected: bearer({ member: 404, otherMember: 404, admin: 404 }),
    },
  ],
  [`GET ${servers}/:id/oauth2/connect`]: [
    {
      target: 'an enabled oauth2 server',
      path: () => `${servers}/${ids.oauth2}/oauth2/connect`,
      expected: bearer({ member: 307, otherMember: 307, admin: 307 }),
    },
    {
      // A bearer header wins over the ticket, so only the anonymous caller uses the ticket.
      target: "the member's connect ticket",
      path: () => `${servers}/${ids.oauth2}/oauth2/connect?ticket=${ids.memberTicket}`,
      expected: { anonymous: 307, badSignature: 401, expired: 401, member: 307, otherMember: 307, admin: 307 },
    },
    {
      target: "the member's ticket on another server",
      path: () => `${servers}/${ids.metadata}/oauth2/connect?ticket=${ids.memberTicket}`,
      expected: { anonymous: 401, badSignature: 401, expired: 401, member: 307, otherMember: 307, admin: 307 },
    },
    {
      target: 'a disabled oauth2 server',
      path: () => `${servers}/${ids.oauth2Disabled}/oauth2/connect`,
      expected: bearer({ member: 404, otherMember: 404, admin: 400 }),
    },
    {
      target: 'an unknown server',
      path: () => `${servers}/${unknownId}/oauth2/connect`,
      expected: bearer({ member: 404, otherMember: 404, admin: 404 }),
    },
  ],
  // The sealed state cookie alone authenticates the callback, so a bearer header grants nothing.
  [`GET ${servers}/:id/oauth2/callback`]: [
    {
      target: 'a callback without a state cookie',
      path: () => `${servers}/${ids.oauth2}/oauth2/callback?code=matrix-code&state=matrix-state`,
      expected: everyone(400),
    },
    {
      target: 'an unknown server',
      path: () => `${servers}/${unknownId}/oauth2/callback?code=matrix-code&state=matrix-state`,
      expected: everyone(400),
    },
  ],
  [`DELETE ${servers}/:id/oauth2/disconnect`]: [
    {
      target: 'an enabled oauth2 server',
      path: () => `${servers}/${ids.oauth2}/oauth2/disconnect`,
      expected: bearer({ member: 204, otherMember: 204, admin: 204 }),
    },
    {
      target: 'a disabled oauth2 server',
      path: () => `${servers}/${ids.oauth2Disabled}/oauth2/disconnect`,
      expected: bearer({ member: 404, otherMember: 404, admin: 204 }),
    },
    {
      target: 'an unknown server',
      path: () => `${servers}/${unknownId}/oauth2/disconnect`,
      expected: bearer({ member: 404, otherMember: 404, admin: 404 }),
    },
  ],
  // Public, because the authorization server fetches it without credentials.
  [`GET ${servers}/:id/oauth2/client-metadata`]: [
    {
      target: 'a server registered by metadata document',
      path: () => `${servers}/${ids.metadata}/oauth2/client-metadata`,
      expected: everyone(200),
    },
    {
      target: 'an oauth2 server with its own client id',
      path: () => `${servers}/${ids.oauth2}/oauth2/client-metadata`,
      expected: everyone(404),
    },
    {
      target: 'a disabled server',
      path: () => `${servers}/${ids.disabled}/oauth2/client-metadata`,
      expected: everyone(404),
    },
    {
      target: 'an unknown server',
      path: () => `${servers}/${unknownId}/oauth2/client-metadata`,
      expected: everyone(404),
    },
  ],

  [`GET ${servers}/:id/tools`]: [
    { target: 'an enabled server', path: () => `${servers}/${ids.enabled}/tools`, expected: bearer({ member: 200, otherMember: 200, admin: 200 }) },
    { target: 'a disabled server', path: () => `${servers}/${ids.disabled}/tools`, expected: bearer({ member: 404, otherMember: 404, admin: 200 }) },
    { target: 'an oauth2 server', path: () => `${servers}/${ids.oauth2}/tools`, expected: bearer({ member: 200, otherMember: 200, admin: 200 }) },
    { target: 'an unknown server', path: () => `${servers}/${unknownId}/tools`, expected: bearer({ member: 404, otherMember: 404, admin: 404 }) },
  ],
  [`POST ${servers}/:id/tools/refresh`]: [
    {
      // The server cannot be reached, which the snapshot records, so the request succeeds.
      target: 'a shared server',
      path: () => `${servers}/${ids.enabled}/tools/refresh`,
      expected: bearer({ member: 403, otherMember: 403, admin: 200 }),
    },
    {
      target: 'a disabled shared server',
      path: () => `${servers}/${ids.disabled}/tools/refresh`,
      expected: bearer({ member: 404, otherMember: 404, admin: 200 }),
    },
    {
      // Each user refreshes their own snapshot of a per-user server, which needs their token.
      target: 'an oauth2 server not connected',
      path: () => `${servers}/${ids.oauth2}/tools/refresh`,
      expected: bearer({ member: 409, otherMember: 409, admin: 409 }),
    },
    {
      target: 'an unknown server',
      path: () => `${servers}/${unknownId}/tools/refresh`,
      expected: bearer({ member: 404, otherMember: 404, admin: 404 }),
    },
  ],

  [`POST ${api}/chats`]: [
    {
      target: 'a new chat',
      path: () => `${api}/chats`,
      body: (caller) => ({ title: `Chat of ${caller}`, content: 'Hello.' }),
      expected: bearer({ member: 201, otherMember: 201, admin: 201 }),
    },
  ],
  // A chat belongs to its owner alone: anyone else, admins included, gets 404.
  [`GET ${api}/chats/:id`]: [
    { target: "the member's chat", path: () => `${api}/chats/${ids.memberChat}`, expected: bearer({ member: 200, otherMember: 404, admin: 404 }) },
    {
      target: "the other member's chat",
      path: () => `${api}/chats/${ids.otherMemberChat}`,
      expected: bearer({ member: 404, otherMember: 200, admin: 404 }),
    },
    { target: 'an unknown chat', path: () => `${api}/chats/${unknownId}`, expected: bearer({ member: 404, otherMember: 404, admin: 404 }) },
  ],
  [`POST ${api}/chats/:id/messages`]: [
    {
      target: "the member's chat",
      path: () => `${api}/chats/${ids.memberChat}/messages`,
      body: () => ({ content: 'Another message.' }),
      expected: bearer({ member: 201, otherMember: 404, admin: 404 }),
    },
    {
      target: "the other member's chat",
      path: () => `${api}/chats/${ids.otherMemberChat}/messages`,
      body: () => ({ content: 'Another message.' }),
      expected: bearer({ member: 404, otherMember: 201, admin: 404 }),
    },
    {
      target: 'an unknown chat',
      path: () => `${api}/chats/${unknownId}/messages`,
      body: () => ({ content: 'Another message.' }),
      expected: bearer({ member: 404, otherMember: 404, admin: 404 }),
    },
  ],
  [`GET ${api}/chats/:id/tools`]: [
    {
      target: "the member's chat",
      path: () => `${api}/chats/${ids.memberChat}/tools`,
      expected: bearer({ member: 200, otherMember: 404, admin: 404 }),
    },
    {
      target: "the other member's chat",
      path: () => `${api}/chats/${ids.otherMemberChat}/tools`,
      expected: bearer({ member: 404, otherMember: 200, admin: 404 }),
    },
    { target: 'an unknown chat', path: () => `${api}/chats/${unknownId}/tools`, expected: bearer({ member: 404, otherMember: 404, admin: 404 }) },
  ],
};

/** `METHOD path` of every route the app composes; `ALL` entries are middleware, not routes. */
function composedRoutes(): string[] {
  const keys = t.app.routes.filter((route) => route.method !== 'ALL').map((route) => `${route.method} ${route.path}`);
  return [...new Set(keys)].sort();
}

describe('authorization matrix', () => {
  it('has a row for every composed route', () => {
    const rows = new Set(Object.keys(matrix));
    expect(composedRoutes().filter((route) => !rows.has(route))).toEqual([]);
  });

  it('has no row for a route the app no longer composes', () => {
    const routes = new Set(composedRoutes());
    expect(Object.keys(matrix).filter((row) => !routes.has(row))).toEqual([]);
  });
});

describe.each(Object.entries(matrix))('%s', (route, probes) => {
  const method = route.slice(0, route.indexOf(' '));
  const cases = probes.flatMap((probe) => callers.map((caller) => ({ ...probe, caller, status: probe.expected[caller] })));

  it.each(cases)('$target as $caller answers $status', async ({ path, body, caller, status }) => {
    const response = await t.request(method, await path(), { as: caller, ...(body ? { body: body(caller) } : {}) });
    const text = await response.text();

    expect(response.status, text).toBe(status);
    if (status === 401) {
      expect(response.headers.get('WWW-Authenticate')).toMatch(/^Bearer realm="switchboard"/);
      expect(JSON.parse(text).code).toBe('unauthenticated');
    }
    if (status === 403) expect(JSON.parse(text).code).toBe('forbidden');
    if (status === 404 && response.headers.get('Content-Type')?.includes('json')) expect(JSON.parse(text).code).toBe('not_found');
  });
});

async function createServer(slug: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await expectStatus(t.request('POST', servers, { body: serverBody(slug, overrides) }), 201);
  return (await response.json()).id;
}

async function createChat(owner: Caller): Promise<string> {
  const response = await expectStatus(t.request('POST', `${api}/chats`, { as: owner, body: { title: `Chat of ${owner}`, content: 'Hello.' } }), 201);
  return (await response.json()).id;
}

/** Fails setup with the response body when a fixture request does not succeed. */
async function expectStatus<T extends { status: number; clone(): T; text(): Promise<string> }>(pending: Promise<T>, status: number): Promise<T> {
  const response = await pending;
  if (response.status !== status) throw new Error(`Setup request returned ${response.status}: ${await response.clone().text()}`);
  return response;
}
