import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, serverBody, type Caller, type TestApp } from '../support/harness.js';

const base = '/api/experimental/mcp/servers';

/** Distinctive secrets, so any appearance anywhere is a leak and not a coincidence. */
const secrets = {
  clientSecret: 'leak-probe-client-secret-7f3a9c',
  apiKey: 'leak-probe-api-key-2b8e1d',
  header: 'leak-probe-header-value-4c6f0a',
  rotatedKey: 'leak-probe-rotated-key-9d2e7b',
};

let t: TestApp;
const seen: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  const record = async (method: string, path: string, as: Caller, body?: unknown) => {
    const response = await t.request(method, path, { as, ...(body !== undefined ? { body } : {}) });
    seen.push(`${response.status} ${JSON.stringify([...response.headers])} ${await response.clone().text()}`);
    return response;
  };

  const oauth = await (
    await record('POST', base, 'admin', serverBody('leak-oauth', {
      enabled: true,
      auth_type: 'oauth2',
      oauth2_client_id: 'client',
      oauth2_client_secret: secrets.clientSecret,
      oauth2_auth_url: 'https://auth.example.com/a',
      oauth2_token_url: 'https://auth.example.com/t',
    }))
  ).json();
  const apiKey = await (
    await record('POST', base, 'admin', serverBody('leak-api-key', { enabled: true, auth_type: 'api_key', api_key_value: secrets.apiKey }))
  ).json();
  await record('POST', base, 'admin', serverBody('leak-headers', { auth_type: 'custom_headers', custom_headers: { 'X-Org': secrets.header } }));

  // Failures that echo input are where secrets most often leak.
  await record('POST', base, 'admin', serverBody('leak-api-key', { auth_type: 'api_key', api_key_value: secrets.apiKey }));
  await record('POST', base, 'admin', serverBody('Bad Slug', { auth_type: 'api_key', api_key_value: secrets.apiKey }));
  await record('POST', base, 'member', serverBody('leak-member', { auth_type: 'api_key', api_key_value: secrets.apiKey }));
  await record('POST', base, 'admin', `{"api_key_value": "${secrets.apiKey}", `);
  await record('PATCH', `${base}/${apiKey.id}`, 'admin', { api_key_value: secrets.rotatedKey });
  await record('PATCH', `${base}/${oauth.id}`, 'admin', { api_key_value: secrets.rotatedKey });

  for (const caller of ['admin', 'member', 'otherMember', 'anonymous'] as const) {
    await record('GET', base, caller);
    await record('GET', `${base}/${apiKey.id}`, caller);
    await record('GET', `${base}/${oauth.id}`, caller);
  }
});
afterAll(() => t.close());

describe('secret handling', () => {
  it.each(Object.entries(secrets))('never returns %s in a response', (_name, secret) => {
    expect(seen.length).toBeGreaterThan(10);
    for (const response of seen) expect(response).not.toContain(secret);
  });

  it.each(Object.entries(secrets))('never writes %s to the log', (_name, secret) => {
    expect(t.logs.length).toBeGreaterThan(10);
    for (const line of t.logs) expect(line).not.toContain(secret);
  });

  it('never logs a bearer token', () => {
    for (const token of Object.values(t.tokens)) {
      for (const line of t.logs) expect(line).not.toContain(token);
    }
  });

  it('stores no plaintext secret in any table', async () => {
    const tables = ['users', 'mcp_server_configs', 'mcp_server_user_tokens', 'chats', 'chat_messages', 'dbcrypt_keys'];
    for (const table of tables) {
      const result = await t.database.db.execute(sql.raw(`SELECT row_to_json(r)::text AS row FROM ${table} r`));
      const dump = JSON.stringify((result as { rows?: unknown[] }).rows ?? result);
      for (const secret of Object.values(secrets)) expect(dump, `${table} holds a plaintext secret`).not.toContain(secret);
    }
  });
});
