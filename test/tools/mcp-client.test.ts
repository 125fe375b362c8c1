import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { McpConnection } from '../../db/mcp-tools/types.js';
import { createLogger } from '../../functions/log.js';
import { listServerTools, type ListToolsOptions } from '../../functions/mcp-client/list-tools.js';
import { createGuardedFetch } from '../../functions/outbound/guarded-fetch.js';
import type { ToolListing } from '../../functions/tools/governance.js';
import { mcpCredentials, startTestMcpServers, type McpTestPath, type TestMcpServers } from '../support/mcp-servers.js';

const port = 31462;
let servers: TestMcpServers;
const logs: string[] = [];

beforeAll(async () => {
  servers = await startTestMcpServers(port);
});
afterAll(() => servers.close());

function connection(path: McpTestPath, headers: Record<string, string> = {}, transport: McpConnection['transport'] = 'streamable_http'): McpConnection {
  return { serverId: '00000000-0000-4000-8000-000000000001', url: servers.url(path), transport, headers };
}

function list(target: McpConnection, overrides: Partial<ListToolsOptions> = {}): Promise<ToolListing> {
  return listServerTools(target, {
    fetch: createGuardedFetch({ allowLocalTargets: true, maxRedirects: 0 }),
    timeoutMs: 10_000,
    log: createLogger((line) => logs.push(line)),
    ...overrides,
  });
}

function toolNames(listing: ToolListing): string[] {
  expect(listing.outcome).toBe('ok');
  return listing.outcome === 'ok' ? listing.tools.map((tool) => tool.name) : [];
}

function failureCode(listing: ToolListing): string | undefined {
  return listing.outcome === 'failed' ? listing.errorCode : undefined;
}

describe('listServerTools', () => {
  it('lists the tools of an open Streamable HTTP server', async () => {
    const listing = await list(connection('/open/mcp'));
    expect(toolNames(listing)).toEqual(['read_file', 'write_file']);
    const read = listing.outcome === 'ok' ? listing.tools[0]! : undefined;
    expect(read?.title).toBe('Read a file');
    expect(read?.inputSchema).toMatchObject({ type: 'object', properties: { path: { type: 'string' } } });
  });

  it('lists the tools of a legacy SSE server', async () => {
    expect(toolNames(await list(connection('/sse', {}, 'sse')))).toEqual(['read_file', 'write_file']);
  });

  it('sends the API key header', async () => {
    const listing = await list(connection('/api-key/mcp', { [mcpCredentials.apiKeyHeader]: mcpCredentials.apiKey }));
    expect(toolNames(listing)).toEqual(['read_file', 'write_file']);
  });

  it('reports a wrong API key as unauthorized', async () => {
    const listing = await list(connection('/api-key/mcp', { [mcpCredentials.apiKeyHeader]: 'wrong' }));
    expect(failureCode(listing)).toBe('unauthorized');
  });

  it('sends custom headers', async () => {
    const listing = await list(connection('/custom-headers/mcp', { ...mcpCredentials.customHeaders }));
    expect(toolNames(listing)).toEqual(['read_file', 'write_file']);
  });

  it('reports a missing custom header as unauthorized', async () => {
    const listing = await list(connection('/custom-headers/mcp', { 'X-Team': mcpCredentials.customHeaders['X-Team'] }));
    expect(failureCode(listing)).toBe('unauthorized');
  });

  it('sends a bearer token', async () => {
    const listing = await list(connection('/bearer/mcp', { Authorization: `Bearer ${mcpCredentials.bearerToken}` }));
    expect(toolNames(listing)).toEqual(['read_file', 'write_file']);
  });

  it('reports a wrong bearer token as unauthorized', async () => {
    const listing = await list(connection('/bearer/mcp', { Authorization: 'Bearer not-the-token' }));
    expect(failureCode(listing)).toBe('unauthorized');
  });

  it('follows cursors across pages', async () => {
    const names = toolNames(await list(connection('/paged/mcp')));
    expect(names).toHaveLength(25);
    expect(names[0]).toBe('tool_00000');
    expect(names[24]).toBe('tool_00024');
  });

  it('stops at the page cap', async () => {
    const listing = await list(connection('/paged/mcp'), { maxPages: 2 });
    expect(failureCode(listing)).toBe('too_many_pages');
  });

  it('rejects a server listing 10,000 tools', async () => {
    const listing = await list(connection('/many/mcp'));
    expect(failureCode(listing)).toBe('too_many_tools');
  });

  it('rejects a tool larger than the size cap', async () => {
    const listing = await list(connection('/large-schema/mcp'));
    expect(failureCode(listing)).toBe('tool_too_large');
  });

  it('times out on a server that never answers', async () => {
    const listing = await list(connection('/hang/mcp'), { timeoutMs: 300 });
    expect(failureCode(listing)).toBe('timeout');
  });

  it('reports a server answering garbage as invalid', async () => {
    const listing = await list(connection('/garbage/mcp'));
    expect(failureCode(listing)).toBe('invalid_response');
  });

  it('does not follow a redirect with credentials', async () => {
    const listing = await list(connection('/redirect/mcp', { Authorization: 'Bearer secret-for-redirect' }));
    expect(failureCode(listing)).toBe('too_many_redirects');
  });

  it('reports a closed port as a network error', async () => {
    const listing = await list({ ...connection('/open/mcp'), url: 'http://127.0.0.1:1/mcp' });
    expect(failureCode(listing)).toBe('network_error');
  });

  it('refuses loopback targets unless local targets are allowed', async () => {
    const before = servers.requests.length;
    const listing = await list(connection('/open/mcp'), { fetch: createGuardedFetch({ allowLocalTargets: false }) });
    expect(failureCode(listing)).toBe('blocked_target');
    expect(servers.requests.length).toBe(before);
  });

  it('logs no header value and no query string', async () => {
    logs.length = 0;
    await list(connection('/sse', { 'X-Team': 'log-canary-value' }, 'sse'));
    await list(connection('/bearer/mcp', { Authorization: 'Bearer log-canary-token' }));
    const written = logs.join('\n');
    expect(logs.length).toBe(2);
    expect(written).not.toContain('log-canary');
    expect(written).not.toContain('sessionId');
    expect(written).not.toContain('?');
    expect(JSON.parse(logs[0]!)).toMatchObject({ event: 'mcp_tools_listed', header_names: ['X-Team'], url: servers.url('/sse') });
  });
});
