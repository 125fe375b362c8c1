import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, serverBody, type TestApp } from '../support/harness.js';
import { startServerEverything, type EverythingServer } from '../support/server-everything.js';

/** Tools that server-everything lists unconditionally; others depend on client capabilities. */
const expectedTools = ['echo', 'get-sum', 'get-tiny-image', 'trigger-long-running-operation'];

let t: TestApp;
let streamable: EverythingServer;
let sse: EverythingServer;

beforeAll(async () => {
  [t, streamable, sse] = await Promise.all([
    createTestApp(),
    startServerEverything('streamableHttp', 31460),
    startServerEverything('sse', 31461),
  ]);
});
afterAll(async () => {
  await Promise.all([t?.close(), streamable?.stop(), sse?.stop()]);
});

describe.each([
  { mode: 'streamableHttp', transport: 'streamable_http', server: () => streamable },
  { mode: 'sse', transport: 'sse', server: () => sse },
])('server-everything over $mode', ({ mode, transport, server }) => {
  const slug = `everything-${mode.toLowerCase()}`;
  let serverId: string;

  it('registers and lists its real tools', async () => {
    const created = await t.request('POST', '/api/experimental/mcp/servers', {
      body: serverBody(slug, { url: server().url, transport, enabled: true, tool_deny_list: ['get-env'] }),
    });
    expect(created.status).toBe(201);
    serverId = ((await created.json()) as { id: string }).id;

    const refreshed = await t.request('POST', `/api/experimental/mcp/servers/${serverId}/tools/refresh`);
    expect(refreshed.status).toBe(200);
    const snapshot = (await refreshed.json()) as { outcome: string; tools: { name: string; allowed: boolean }[] };
    expect(snapshot).toMatchObject({ outcome: 'ok' });
    const names = snapshot.tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining([...expectedTools, 'get-env']));
    expect(snapshot.tools.find((tool) => tool.name === 'get-env')?.allowed).toBe(false);
  });

  it('gives a chat that selects it the exposed tool names', async () => {
    const created = await t.request('POST', '/api/experimental/chats', {
      as: 'member',
      body: { title: 'Everything', content: 'What can you do?', mcp_server_ids: [serverId] },
    });
    expect(created.status).toBe(201);
    const chatId = ((await created.json()) as { id: string }).id;

    const response = await t.request('GET', `/api/experimental/chats/${chatId}/tools`, { as: 'member' });
    expect(response.status).toBe(200);
    const turn = (await response.json()) as { servers: { status: string }[]; tools: { name: string }[] };
    expect(turn.servers).toEqual([expect.objectContaining({ status: 'ready' })]);
    const names = turn.tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(expectedTools.map((name) => `${slug}__${name}`)));
    expect(names).not.toContain(`${slug}__get-env`);
    expect(names).toEqual([...names].sort());
  });
});
