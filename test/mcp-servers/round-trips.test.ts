import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, serverBody, type Caller, type TestApp } from '../support/harness.js';

const base = '/api/experimental/mcp/servers';
let t: TestApp;
let id: string;

beforeAll(async () => {
  t = await createTestApp();
  const body = serverBody('warm', { enabled: true, auth_type: 'api_key', api_key_value: 'warm-key' });
  id = (await (await t.request('POST', base, { body })).json()).id;
  // Warm the keyring so the counted requests take the warm path.
  await t.request('PATCH', `${base}/${id}`, { body: { api_key_value: 'warm-key-2' } });
});
afterAll(() => t.close());

const transactionStatements = /^(BEGIN|COMMIT|ROLLBACK|begin|commit|rollback)/;

async function statementsOf(method: string, path: string, as: Caller, body?: unknown) {
  let status = 0;
  const statements = await t.countRoundTrips(async () => {
    status = (await t.request(method, path, { as, ...(body ? { body } : {}) })).status;
  });
  return { status, statements };
}

describe('round trips on the warm path', () => {
  it.each([
    ['list as admin', 'admin'],
    ['list as member', 'member'],
  ] as const)('%s is one statement', async (_name, as) => {
    const { status, statements } = await statementsOf('GET', base, as);
    expect(status).toBe(200);
    expect(statements).toHaveLength(1);
  });

  it.each([
    ['get as admin', 'admin'],
    ['get as member', 'member'],
  ] as const)('%s is one statement', async (_name, as) => {
    const { status, statements } = await statementsOf('GET', `${base}/${id}`, as);
    expect(status).toBe(200);
    expect(statements).toHaveLength(1);
  });

  it('create is one transaction', async () => {
    const { status, statements } = await statementsOf('POST', base, 'admin', serverBody('counted', { auth_type: 'api_key', api_key_value: 'k' }));
    expect(status).toBe(201);
    expect(statements[0]).toMatch(/^BEGIN/i);
    // User upsert, insert, audit entry.
    expect(statements.filter((s) => !transactionStatements.test(s))).toHaveLength(3);
  });

  it('update is one transaction', async () => {
    const { status, statements } = await statementsOf('PATCH', `${base}/${id}`, 'admin', { api_key_value: 'rotated' });
    expect(status).toBe(200);
    expect(statements[0]).toMatch(/^BEGIN/i);
    // Locking read, user upsert, update, audit entry.
    expect(statements.filter((s) => !transactionStatements.test(s))).toHaveLength(4);
  });

  it('delete is one transaction', async () => {
    const { status, statements } = await statementsOf('DELETE', `${base}/${id}`, 'admin');
    expect(status).toBe(204);
    expect(statements[0]).toMatch(/^BEGIN/i);
    // Delete, user upsert, audit entry, chats update.
    expect(statements.filter((s) => !transactionStatements.test(s))).toHaveLength(4);
  });

  it('rejected requests touch no data', async () => {
    expect((await statementsOf('GET', base, 'anonymous')).statements).toHaveLength(0);
    expect((await statementsOf('POST', base, 'admin', { slug: 'BAD' })).statements).toHaveLength(0);
  });
});
