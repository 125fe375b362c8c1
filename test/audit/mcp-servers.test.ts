import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpServerConfigs, users } from '../../db/schema.js';
import { userIdForSubject } from '../../db/users.js';
import { createTestApp, serverBody, type TestApp } from '../support/harness.js';
import { auditRows, auditTableDump, newAuditRows } from './support.js';

const base = '/api/experimental/mcp/servers';
const apiKey = 'audit-plaintext-api-key-0001';
const newApiKey = 'audit-plaintext-api-key-0002';
const headerValue = 'audit-plaintext-header-0003';
const clientSecret = 'audit-plaintext-client-secret-0004';
let t: TestApp;
let adminId: string;
/** Every ciphertext the configurations held at some point. */
const ciphertexts: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  adminId = await userIdForSubject('admin-1');
});
afterAll(() => t.close());

async function collectCiphertexts(id: string): Promise<void> {
  const [row] = await t.database.db.select().from(mcpServerConfigs).where(eq(mcpServerConfigs.id, id));
  for (const value of [row?.apiKeyValue, row?.customHeaders, row?.oauth2ClientSecret]) if (value) ciphertexts.push(value);
}

describe('audit of MCP server changes', () => {
  let id: string;

  it('records a create with its settings and secret markers', async () => {
    let requestId = '';
    const [entry, ...rest] = await newAuditRows(t.database.db, async () => {
      const response = await t.request('POST', base, {
        body: serverBody('audited', { auth_type: 'api_key', api_key_header: 'X-Api-Key', api_key_value: apiKey }),
      });
      expect(response.status).toBe(201);
      requestId = response.headers.get('X-Request-Id')!;
      id = (await response.json()).id;
    });
    await collectCiphertexts(id);

    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      actorId: adminId,
      actorKind: 'user',
      actorSubject: 'admin-1',
      action: 'mcp_server.create',
      resourceType: 'mcp_server',
      resourceId: id,
      requestId,
      outcome: 'success',
      failureCode: null,
    });
    expect(requestId).not.toBe('');
    expect(entry!.diff).toMatchObject({
      slug: { old: null, new: 'audited' },
      auth_type: { old: null, new: 'api_key' },
      api_key_header: { old: null, new: 'X-Api-Key' },
      api_key_value: '<set>',
    });
    expect(entry!.diff).not.toHaveProperty('custom_headers');
  });

  it('records only the changed fields of an update', async () => {
    const [entry, ...rest] = await newAuditRows(t.database.db, async () => {
      const response = await t.request('PATCH', `${base}/${id}`, { body: { display_name: 'Renamed', api_key_value: newApiKey } });
      expect(response.status).toBe(200);
    });
    await collectCiphertexts(id);

    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ action: 'mcp_server.update', resourceId: id, outcome: 'success' });
    expect(entry!.diff).toEqual({
      display_name: { old: 'Server audited', new: 'Renamed' },
      api_key_value: '<changed>',
    });
  });

  it('marks secrets removed when the auth type changes', async () => {
    const [entry] = await newAuditRows(t.database.db, async () => {
      const response = await t.request('PATCH', `${base}/${id}`, {
        body: { auth_type: 'custom_headers', custom_headers: { 'X-Team': headerValue } },
      });
      expect(response.status).toBe(200);
    });
    await collectCiphertexts(id);

    expect(entry!.diff).toEqual({
      auth_type: { old: 'api_key', new: 'custom_headers' },
      api_key_header: { old: 'X-Api-Key', new: 'Authorization' },
      api_key_value: '<removed>',
      custom_headers: '<set>',
    });
  });

  it('records an update that changes nothing with an empty diff', async () => {
    const [entry] = await newAuditRows(t.database.db, async () => {
      expect((await t.request('PATCH', `${base}/${id}`, { body: { display_name: 'Renamed' } })).status).toBe(200);
    });
    expect(entry).toMatchObject({ action: 'mcp_server.update', diff: {} });
  });

  it('records a delete with the old settings', async () => {
    const [entry, ...rest] = await newAuditRows(t.database.db, async () => {
      expect((await t.request('DELETE', `${base}/${id}`)).status).toBe(204);
    });

    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ action: 'mcp_server.delete', resourceId: id, outcome: 'success' });
    expect(entry!.diff).toMatchObject({
      slug: { old: 'audited', new: null },
      display_name: { old: 'Renamed', new: null },
      custom_headers: '<removed>',
    });
  });

  it('writes nothing for a rejected create', async () => {
    expect((await t.request('POST', base, { body: serverBody('taken') })).status).toBe(201);
    const rows = await newAuditRows(t.database.db, async () => {
      const conflict = await t.request('POST', base, { body: serverBody('taken', { api_key_value: apiKey, auth_type: 'api_key' }) });
      expect(conflict.status).toBe(409);
      const invalid = await t.request('POST', base, { body: serverBody('invalid', { auth_type: 'api_key' }) });
      expect(invalid.status).toBe(400);
      const member = await t.request('POST', base, { as: 'member', body: serverBody('by-member') });
      expect(member.status).toBe(403);
    });
    expect(rows).toEqual([]);
  });

  it('writes nothing for a rejected update or delete', async () => {
    const other = (await (await t.request('POST', base, { body: serverBody('other') })).json()).id as string;
    const rows = await newAuditRows(t.database.db, async () => {
      expect((await t.request('PATCH', `${base}/${other}`, { body: { slug: 'taken' } })).status).toBe(409);
      expect((await t.request('PATCH', `${base}/${crypto.randomUUID()}`, { body: { display_name: 'x' } })).status).toBe(404);
      expect((await t.request('DELETE', `${base}/${crypto.randomUUID()}`)).status).toBe(404);
    });
    expect(rows).toEqual([]);
  });

  it('never stores a secret or a ciphertext', async () => {
    const created = await t.request('POST', base, {
      body: serverBody('oauth-secret', {
        auth_type: 'oauth2',
        oauth2_client_id: 'client',
        oauth2_client_secret: clientSecret,
        oauth2_auth_url: 'https://auth.example.com/authorize',
        oauth2_token_url: 'https://auth.example.com/token',
      }),
    });
    expect(created.status).toBe(201);
    await collectCiphertexts((await created.json()).id);

    const dump = await auditTableDump(t.database.db);
    expect(ciphertexts.length).toBe(4);
    for (const secret of [apiKey, newApiKey, headerValue, clientSecret, ...ciphertexts]) expect(dump).not.toContain(secret);
  });

  it('keeps entries with the subject after the user is deleted', async () => {
    await t.database.db.delete(users).where(eq(users.id, adminId));
    const rows = (await auditRows(t.database.db)).filter((row) => row.actorSubject === 'admin-1');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.actorId).toBeNull();
  });
});
