/**
 * MCP servers built with the SDK's own server classes, served in process on 127.0.0.1, one
 * HTTP server with a path per behaviour. Each path checks its credentials before the SDK
 * transport receives the request, and responds 401 when they are wrong.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { z } from 'zod';

/** Credentials each protected path accepts. */
export const mcpCredentials = {
  apiKeyHeader: 'X-Api-Key',
  apiKey: 'api-key-0123456789',
  customHeaders: { 'X-Team': 'team-blue', 'X-Env': 'staging' },
  bearerToken: 'oauth-access-token-0123456789',
} as const;

export type McpTestPath =
  | '/open/mcp'
  | '/api-key/mcp'
  | '/custom-headers/mcp'
  | '/bearer/mcp'
  | '/many/mcp'
  | '/paged/mcp'
  | '/large-schema/mcp'
  | '/hang/mcp'
  | '/garbage/mcp'
  | '/redirect/mcp'
  | '/sse'
  | '/messages';

export interface TestMcpServers {
  url(path: McpTestPath): string;
  /** Every request the servers received, as method, path and whether credentials matched. */
  requests: { method: string; path: string; accepted: boolean }[];
  close(): Promise<void>;
}

/** Registers the two tools every ordinary path lists; their names are already valid exposed names. */
export function registerBasicTools(server: McpServer): void {
  server.registerTool(
    'read_file',
    { title: 'Read a file', description: 'Reads a file.', inputSchema: { path: z.string() } },
    async () => ({ content: [] }),
  );
  server.registerTool('write_file', { description: 'Writes a file.', inputSchema: { path: z.string(), text: z.string() } }, async () => ({
    content: [],
  }));
}

export async function startTestMcpServers(port: number): Promise<TestMcpServers> {
  const requests: TestMcpServers['requests'] = [];
  const sockets = new Set<Socket>();
  const sseTransports = new Map<string, SSEServerTransport>();

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const accepted = credentialsMatch(path, req);
    requests.push({ method: req.method ?? '', path, accepted });
    if (!accepted) {
      res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer realm="test"' });
      res.end(JSON.stringify({ error: 'unauthorized' }));
      return;
    }
    void route(path, req, res, sseTransports).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });

  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function credentialsMatch(path: string, req: IncomingMessage): boolean {
  switch (path) {
    case '/api-key/mcp':
      return req.headers[mcpCredentials.apiKeyHeader.toLowerCase()] === mcpCredentials.apiKey;
    case '/custom-headers/mcp':
      return Object.entries(mcpCredentials.customHeaders).every(([name, value]) => req.headers[name.toLowerCase()] === value);
    case '/bearer/mcp':
      return req.headers.authorization === `Bearer ${mcpCredentials.bearerToken}`;
    default:
      return true;
  }
}

async function route(path: string, req: IncomingMessage, res: ServerResponse, sseTransports: Map<string, SSEServerTransport>): Promise<void> {
  switch (path) {
    case '/open/mcp':
    case '/api-key/mcp':
    case '/custom-headers/mcp':
    case '/bearer/mcp': {
      const server = new McpServer({ name: 'test-basic', version: '1.0.0' });
      registerBasicTools(server);
      return serveStateless(server, req, res);
    }
    case '/many/mcp':
      return serveStateless(lowLevelServer(10_000, undefined), req, res);
    case '/paged/mcp':
      return serveStateless(lowLevelServer(25, 10), req, res);
    case '/large-schema/mcp':
      return serveStateless(lowLevelServer(1, undefined, 100 * 1024), req, res);
    case '/hang/mcp':
      // Reads the request and never responds, so only the client's deadline ends the exchange.
      req.resume();
      return;
    case '/garbage/mcp':
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('<html>this is not JSON-RPC{{{');
      return;
    case '/redirect/mcp':
      req.resume();
      res.writeHead(307, { Location: 'http://127.0.0.1:1/elsewhere' });
      res.end();
      return;
    case '/sse': {
      const server = new McpServer({ name: 'test-sse', version: '1.0.0' });
      registerBasicTools(server);
      const transport = new SSEServerTransport('/messages', res);
      sseTransports.set(transport.sessionId, transport);
      res.on('close', () => sseTransports.delete(transport.sessionId));
      await server.connect(transport);
      return;
    }
    case '/messages': {
      const sessionId = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('sessionId') ?? '';
      const transport = sseTransports.get(sessionId);
      if (!transport) {
        res.writeHead(404).end();
        return;
      }
      await transport.handlePostMessage(req, res);
      return;
    }
    default:
      res.writeHead(404).end();
  }
}

/** Serves one request with a fresh server and transport: the stateless mode of Streamable HTTP. */
async function serveStateless(server: McpServer | Server, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res);
}

/**
 * Creates a server that lists `count` tools named `tool_00000`…, `pageSize` per page when given,
 * each with an input schema padded to about `schemaBytes`.
 */
function lowLevelServer(count: number, pageSize: number | undefined, schemaBytes = 0): Server {
  const server = new Server({ name: 'test-generated', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const start = Number(request.params?.cursor ?? 0);
    const end = pageSize ? Math.min(count, start + pageSize) : count;
    const tools = [];
    for (let i = start; i < end; i++) {
      tools.push({
        name: `tool_${String(i).padStart(5, '0')}`,
        inputSchema: { type: 'object' as const, description: 'x'.repeat(schemaBytes) },
      });
    }
    return end < count ? { tools, nextCursor: String(end) } : { tools };
  });
  return server;
}
