import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callers, createTestApp, serverBody, type Caller, type TestApp } from '../support/harness.js';

const base = '/api/experimental/mcp/servers';
let t: TestApp;
let enabledId: string;
let disabledId: string;

beforeAll(async () => {
  t = await createTestApp();
  enabledId = (await (await t.request('POST', base, { body: serverBody('authz-enabled', { enabled: true }) })).json()).id;
  disabledId = (await (await t.request('POST', base, { body: serverBody('authz-disabled') })).json()).id;
});
afterAll(() => t.close());

type Expected = Record<Caller, number>;
const unauthenticated = { anonymous: 401, badSignature: 401, expired: 401 };

/** Each endpoint against each caller; ids are resolved lazily because they exist only after setup. */
const cases: { name: string; method: string; path: () => string; body?: (caller: Caller) => unknown; expected: Expected }[] = [
  {
    name: 'create',
    method: 'POST',
    path: () => base,
    body: (caller) => serverBody(`authz-new-${caller.toLowerCase()}`),
    expected: { ...unauthenticated, member: 403, otherMember: 403, admin: 201 },
  },
  { name: 'list', method: 'GET', path: () => base, expected: { ...unauthenticated, member: 200, otherMember: 200, admin: 200 } },
  {
    name: 'get enabled',
    method: 'GET',
    path: () => `${base}/${enabledId}`,
    expected: { ...unauthenticated, member: 200, otherMember: 200, admin: 200 },
  },
  {
    name: 'get disabled',
    method: 'GET',
    path: () => `${base}/${disabledId}`,
    expected: { ...unauthenticated, member: 404, otherMember: 404, admin: 200 },
  },
  {
    name: 'update',
    method: 'PATCH',
    path: () => `${base}/${enabledId}`,
    body: () => ({ description: 'changed' }),
    expected: { ...unauthenticated, member: 403, otherMember: 403, admin: 200 },
  },
  {
    name: 'delete',
    method: 'DELETE',
    path: () => `${base}/${crypto.randomUUID()}`,
    expected: { ...unauthenticated, member: 403, otherMember: 403, admin: 404 },
  },
];

describe.each(cases)('$method $name', ({ method, path, body, expected }) => {
  it.each(callers)('answers %s with the expected status', async (caller) => {
    const response = await t.request(method, path(), { as: caller, ...(body ? { body: body(caller) } : {}) });
    expect(response.status).toBe(expected[caller]);
    if (response.status === 401) {
      expect(response.headers.get('WWW-Authenticate')).toMatch(/^Bearer realm="switchboard"/);
      expect((await response.json()).code).toBe('unauthenticated');
    }
    if (response.status === 403) expect((await response.json()).code).toBe('forbidden');
  });
});

describe('authenticate', () => {
  it('rejects a member before the handler touches the body', async () => {
    const response = await t.request('POST', base, { as: 'member', body: '{not json' });
    expect(response.status).toBe(403);
  });

  it.each([
    ['Basic dXNlcjpwYXNz', 'invalid_request'],
    ['Bearer', 'invalid_request'],
    ['Bearer a b', 'invalid_request'],
    ['Bearer not.a.jwt', 'invalid_token'],
  ])('rejects Authorization %j with %s', async (header, error) => {
    const response = await t.request('GET', base, { as: 'anonymous', headers: { Authorization: header } });
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toContain(`error="${error}"`);
  });

  it('names expiry in the WWW-Authenticate description', async () => {
    const response = await t.request('GET', base, { as: 'expired' });
    expect(response.headers.get('WWW-Authenticate')).toContain('expired');
  });
});
