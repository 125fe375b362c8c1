import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walkThrough } from '../../client/example.js';
import { createSwitchboardClient } from '../../client/index.js';
import { generateClientTypes } from '../../scripts/generate-client.js';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const clientFor = (token: string) =>
  createSwitchboardClient({
    baseUrl: 'http://switchboard.test',
    token,
    fetch: (input, init) => Promise.resolve(t.app.fetch(new Request(input, init))),
  });

describe('createSwitchboardClient', () => {
  it('drives create, enable and the member list end to end', async () => {
    const admin = clientFor(t.tokens.admin);
    const created = await admin.POST('/api/experimental/mcp/servers', {
      body: { display_name: 'Sentry', slug: 'client-sentry', url: 'https://mcp.sentry.dev/mcp', auth_type: 'api_key', api_key_value: 'Bearer k' },
    });
    expect(created.response.status).toBe(201);
    const id = created.data!.id;

    const enabled = await admin.PATCH('/api/experimental/mcp/servers/{id}', { params: { path: { id } }, body: { enabled: true } });
    expect(enabled.data?.enabled).toBe(true);

    const listed = await clientFor(t.tokens.member).GET('/api/experimental/mcp/servers');
    expect(listed.data?.map((server) => server.slug)).toContain('client-sentry');
    expect(listed.data?.find((server) => server.id === id)?.url).toBe('');
  });

  it('runs the README walk-through', async () => {
    const servers = await walkThrough(clientFor(t.tokens.admin), clientFor(t.tokens.member), 'client-walk-through');
    const sentry = servers.find((server) => server.slug === 'client-walk-through');
    expect(sentry).toMatchObject({ enabled: true, has_api_key: true, url: '', tool_deny_list: ['update_issue'] });
  });

  it('returns errors in the documented shape', async () => {
    const { error, response } = await clientFor(t.tokens.member).POST('/api/experimental/mcp/servers', {
      body: { display_name: 'x', slug: 'x', url: 'https://x.example.com/' },
    });
    expect(response.status).toBe(403);
    expect(error).toMatchObject({ code: 'forbidden' });
  });
});

describe('client/schema.ts', () => {
  it('matches the current OpenAPI document', async () => {
    expect(await readFile('client/schema.ts', 'utf8')).toBe(await generateClientTypes());
  });
});
