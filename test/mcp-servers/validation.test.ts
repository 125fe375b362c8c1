import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpServerConfigs } from '../../db/schema.js';
import { createTestApp, serverBody, type TestApp } from '../support/harness.js';

const base = '/api/experimental/mcp/servers';
let t: TestApp;
let existingId: string;

beforeAll(async () => {
  t = await createTestApp({ allowLocalTargets: false });
  existingId = (await (await t.request('POST', base, { body: serverBody('existing', { description: 'original' }) })).json()).id;
});
afterAll(() => t.close());

const oauthComplete = {
  auth_type: 'oauth2',
  oauth2_client_id: 'c',
  oauth2_auth_url: 'https://auth.example.com/a',
  oauth2_token_url: 'https://auth.example.com/t',
};

/** [case, body overrides, the field the 400 must name]. */
const badBodies: [string, Record<string, unknown>, string][] = [
  ['missing display_name', { display_name: undefined }, 'display_name'],
  ['empty display_name', { display_name: '   ' }, 'display_name'],
  ['long display_name', { display_name: 'x'.repeat(101) }, 'display_name'],
  ['control character in display_name', { display_name: 'bad\u0007name' }, 'display_name'],
  ['display_name of the wrong type', { display_name: 42 }, 'display_name'],
  ['missing slug', { slug: undefined }, 'slug'],
  ['upper-case slug', { slug: 'Linear' }, 'slug'],
  ['slug with spaces', { slug: 'my server' }, 'slug'],
  ['slug with a double hyphen', { slug: 'a--b' }, 'slug'],
  ['slug too long', { slug: 'a'.repeat(64) }, 'slug'],
  ['missing url', { url: undefined }, 'url'],
  ['relative url', { url: '/mcp' }, 'url'],
  ['javascript url', { url: 'javascript:alert(1)' }, 'url'],
  ['plain http url', { url: 'http://mcp.example.com/mcp' }, 'url'],
  ['http loopback url where local targets are off', { url: 'http://127.0.0.1:9000/mcp' }, 'url'],
  ['url with credentials', { url: 'https://user:pass@mcp.example.com/' }, 'url'],
  ['url with a fragment', { url: 'https://mcp.example.com/#x' }, 'url'],
  ['very long url', { url: `https://mcp.example.com/${'a'.repeat(2100)}` }, 'url'],
  ['ftp icon_url', { icon_url: 'ftp://example.com/icon.png' }, 'icon_url'],
  ['unknown transport', { transport: 'websocket' }, 'transport'],
  ['unknown auth_type', { auth_type: 'basic' }, 'auth_type'],
  ['unknown availability', { availability: 'always' }, 'availability'],
  ['enabled as a string', { enabled: 'yes' }, 'enabled'],
  ['long description', { description: 'x'.repeat(2001) }, 'description'],
  ['unknown field', { owner: 'me' }, 'owner'],
  ['read-only field', { has_api_key: true }, 'has_api_key'],
  ['api_key without a value', { auth_type: 'api_key' }, 'api_key_value'],
  ['api_key with an empty value', { auth_type: 'api_key', api_key_value: '  ' }, 'api_key_value'],
  ['api_key with a bad header name', { auth_type: 'api_key', api_key_header: 'X Key', api_key_value: 'v' }, 'api_key_header'],
  ['api_key with a reserved header', { auth_type: 'api_key', api_key_header: 'Host', api_key_value: 'v' }, 'api_key_header'],
  ['api_key value with a newline', { auth_type: 'api_key', api_key_value: 'a\r\nX-Injected: 1' }, 'api_key_value'],
  ['custom_headers without headers', { auth_type: 'custom_headers', custom_headers: {} }, 'custom_headers'],
  ['custom_headers missing', { auth_type: 'custom_headers' }, 'custom_headers'],
  ['custom header with a bad name', { auth_type: 'custom_headers', custom_headers: { 'Bad Name': 'v' } }, 'custom_headers.Bad Name'],
  ['custom header with a control character', { auth_type: 'custom_headers', custom_headers: { 'X-A': 'v\u0000' } }, 'custom_headers.X-A'],
  ['custom headers repeated by case', { auth_type: 'custom_headers', custom_headers: { 'X-A': '1', 'x-a': '2' } }, 'custom_headers.x-a'],
  ['custom_headers as a list', { auth_type: 'custom_headers', custom_headers: ['X-A'] }, 'custom_headers'],
  ['too many custom headers', { auth_type: 'custom_headers', custom_headers: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`X-H${i}`, 'v'])) }, 'custom_headers'],
  ['oauth2 with only a client id', { auth_type: 'oauth2', oauth2_client_id: 'c' }, 'oauth2_auth_url'],
  ['oauth2 with a relative token url', { ...oauthComplete, oauth2_token_url: '/token' }, 'oauth2_token_url'],
  ['oauth2 secret without a client', { auth_type: 'oauth2', oauth2_client_secret: 's' }, 'oauth2_client_secret'],
  ['oauth2 scope with a quote', { ...oauthComplete, oauth2_scopes: 'read "write"' }, 'oauth2_scopes'],
  ['api key on an oauth2 server', { ...oauthComplete, api_key_value: 'k' }, 'api_key_value'],
  ['oauth2 client id on a none server', { oauth2_client_id: 'c' }, 'oauth2_client_id'],
  ['tool list with an empty name', { tool_allow_list: ['ok', ''] }, 'tool_allow_list[1]'],
  ['tool list with a space in a name', { tool_deny_list: ['two words'] }, 'tool_deny_list[0]'],
  ['tool list as a string', { tool_allow_list: 'a,b' }, 'tool_allow_list'],
  ['tool list with thousands of entries', { tool_allow_list: Array.from({ length: 3000 }, (_, i) => `tool_${i}`) }, 'tool_allow_list'],
  ['tool name too long', { tool_allow_list: ['t'.repeat(129)] }, 'tool_allow_list[0]'],
];

describe('POST /api/experimental/mcp/servers validation', () => {
  it.each(badBodies)('rejects %s naming the field', async (_name, overrides, field) => {
    const before = await rowCount();
    const response = await t.request('POST', base, { body: serverBody('bad-input', overrides) });

    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body).toMatchObject({ code: 'validation_failed', message: expect.any(String), detail: expect.any(String) });
    expect(body.validations.map((v: { field: string }) => v.field)).toContain(field);
    expect(await rowCount()).toBe(before);
  });

  it.each([
    ['malformed JSON', '{"display_name": ', 400, 'malformed_json'],
    ['a JSON array', '[]', 400, 'validation_failed'],
    ['a JSON string', '"text"', 400, 'validation_failed'],
    ['null', 'null', 400, 'validation_failed'],
  ])('rejects %s', async (_name, raw, status, code) => {
    const response = await t.request('POST', base, { body: raw });
    expect(response.status).toBe(status);
    expect((await response.json()).code).toBe(code);
  });

  it('rejects a body over 64 KiB with 413', async () => {
    const response = await t.request('POST', base, { body: serverBody('huge', { description: 'x'.repeat(70 * 1024) }) });
    expect(response.status).toBe(413);
    expect((await response.json()).code).toBe('payload_too_large');
  });

  it('rejects a body that is not JSON with 415', async () => {
    const response = await t.request('POST', base, {
      body: 'display_name=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(415);
    expect((await response.json()).code).toBe('unsupported_media_type');
  });
});

describe('PATCH /api/experimental/mcp/servers/{id} validation', () => {
  it.each([
    ['null display_name', { display_name: null }, 'display_name'],
    ['unknown enumeration value', { availability: 'sometimes' }, 'availability'],
    ['relative url', { url: 'mcp.example.com' }, 'url'],
    ['secret on the wrong auth type', { api_key_value: 'k' }, 'api_key_value'],
    ['unknown field', { id: crypto.randomUUID() }, 'id'],
  ])('rejects %s and changes nothing', async (_name, body, field) => {
    const response = await t.request('PATCH', `${base}/${existingId}`, { body });
    expect(response.status).toBe(400);
    expect((await response.json()).validations.map((v: { field: string }) => v.field)).toContain(field);
    const current = await (await t.request('GET', `${base}/${existingId}`)).json();
    expect(current.description).toBe('original');
  });

  it('rejects a malformed id before reading the body', async () => {
    const response = await t.request('PATCH', `${base}/123`, { body: { enabled: true } });
    expect(response.status).toBe(400);
    expect((await response.json()).validations).toEqual([{ field: 'id', detail: 'Expected a UUID.' }]);
  });
});

async function rowCount(): Promise<number> {
  const [row] = await t.database.db.select({ n: count() }).from(mcpServerConfigs);
  return row!.n;
}
