import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, serverBody, type TestApp } from '../support/harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('POST /api/experimental/mcp/servers', () => {
  it('creates a server with defaults and returns the admin view', async () => {
    const response = await t.request('POST', '/api/experimental/mcp/servers', { body: serverBody('defaults') });
    expect(response.status).toBe(201);
    const server = await response.json();
    expect(server).toMatchObject({
      slug: 'defaults',
      transport: 'streamable_http',
      auth_type: 'none',
      availability: 'default_off',
      enabled: false,
      api_key_header: 'Authorization',
      tool_allow_list: [],
      tool_deny_list: [],
      auth_connected: true,
    });
  });
});
