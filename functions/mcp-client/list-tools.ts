/**
 * Lists the tools of one remote MCP server with `@modelcontextprotocol/sdk`: connect over
 * Streamable HTTP or legacy SSE, initialise, page through `tools/list`, close. The whole
 * exchange has one deadline and caps on tool count and size, every request goes through the
 * outbound guard, and every failure comes back as a listing with a code instead of a throw.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';
import { z } from 'zod';
import type { McpConnection } from '../../db/mcp-tools/types.js';
import type { LogFields, Logger } from '../log.js';
import type { GuardedFetch } from '../outbound/guarded-fetch.js';
import type { ListedTool, ToolListing } from '../tools/governance.js';
import { ToolListingLimitError, listingFailureOf } from './errors.js';
import { headerNames, redactUrl } from './redact.js';

export interface ListToolsOptions {
  /** The outbound guard; see `createMcpFetch`. */
  fetch: GuardedFetch;
  /** Deadline for connecting, initialising and listing every page. */
  timeoutMs: number;
  log: Logger;
  /** Fields added to the log line, such as the request id. */
  logFields?: LogFields;
  maxTools?: number;
  /** Maximum JSON size of one tool: name, description and input schema. */
  maxToolBytes?: number;
  /** Maximum JSON size of all tools together. */
  maxTotalBytes?: number;
  maxPages?: number;
  now?: () => Date;
}

export const defaultMaxTools = 1000;
export const defaultMaxToolBytes = 64 * 1024;
export const defaultMaxTotalBytes = 2 * 1024 * 1024;
export const defaultMaxPages = 100;

const clientInfo = { name: 'switchboard', version: '0.1.0' };

/**
 * Output-schema validator that compiles nothing. This client only lists tools and never
 * calls one, and the SDK's default (Ajv) would compile schemas with `new Function`, which
 * Workers reject.
 */
const noOutputValidation: jsonSchemaValidator = {
  getValidator: () => () => ({ valid: false, data: undefined, errorMessage: 'Tool output is not validated by the tool-listing client.' }),
};

/** A tool as Switchboard keeps it; the SDK's own schema lets unknown fields through. */
const ListedToolSchema = z.object({
  name: z.string().min(1).max(256),
  title: z.string().max(512).optional(),
  description: z.string().max(16_384).optional(),
  inputSchema: z.record(z.string(), z.unknown()),
});

/**
 * Connects, lists every page of tools and closes.
 * @returns `ok` with the tools in the order listed, or `failed` with a stable code; never throws.
 */
export async function listServerTools(connection: McpConnection, options: ListToolsOptions): Promise<ToolListing> {
  const now = options.now ?? (() => new Date());
  const started = Date.now();
  const deadline = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    deadline.abort();
  }, options.timeoutMs);

  const client = new Client(clientInfo, { capabilities: {}, jsonSchemaValidator: noOutputValidation });
  // A transport error (a broken SSE stream, say) can leave a request pending; end it at once.
  const transportFailed = new Promise<never>((_, reject) => {
    client.onerror = (error) => reject(error);
  });
  transportFailed.catch(() => {});
  const timeout = new Promise<never>((_, reject) => {
    deadline.signal.addEventListener('abort', () => reject(new Error('deadline')), { once: true });
  });

  let listing: ToolListing;
  try {
    // Inside the try, so even a URL the transport rejects becomes a failed listing.
    const transport = createTransport(connection, options.fetch, deadline.signal);
    const tools = await Promise.race([listAllTools(client, transport, deadline.signal, options), transportFailed, timeout]);
    listing = { outcome: 'ok', tools, fetchedAt: now() };
    // Ending the session closes the server's open streams, which the transport reports as errors.
    client.onerror = () => {};
    await terminateSession(transport);
  } catch (error) {
    const failure = listingFailureOf(error, timedOut, options.timeoutMs);
    listing = { outcome: 'failed', errorCode: failure.code, errorDetail: failure.detail, fetchedAt: now() };
  } finally {
    clearTimeout(timer);
    deadline.abort();
    await client.close().catch(() => {});
  }

  options.log[listing.outcome === 'ok' ? 'info' : 'warn']('mcp_tools_listed', {
    ...options.logFields,
    server_id: connection.serverId,
    transport: connection.transport,
    url: redactUrl(connection.url),
    header_names: headerNames(connection.headers),
    outcome: listing.outcome,
    error_code: listing.outcome === 'failed' ? listing.errorCode : undefined,
    tool_count: listing.outcome === 'ok' ? listing.tools.length : undefined,
    duration_ms: Date.now() - started,
  });
  return listing;
}

async function listAllTools(client: Client, transport: Transport, signal: AbortSignal, options: ListToolsOptions): Promise<ListedTool[]> {
  const maxTools = options.maxTools ?? defaultMaxTools;
  const maxToolBytes = options.maxToolBytes ?? defaultMaxToolBytes;
  const maxTotalBytes = options.maxTotalBytes ?? defaultMaxTotalBytes;
  const maxPages = options.maxPages ?? defaultMaxPages;
  const requestOptions = { signal, timeout: options.timeoutMs, maxTotalTimeout: options.timeoutMs };

  await client.connect(transport, requestOptions);

  const tools: ListedTool[] = [];
  let totalBytes = 0;
  let cursor: string | undefined;
  for (let page = 1; ; page++) {
    if (page > maxPages) throw new ToolListingLimitError('too_many_pages', `The server sent more than ${maxPages} pages of tools.`);
    // `client.listTools` would also compile every output schema; only the list is needed here.
    const result = await client.request({ method: 'tools/list', params: cursor ? { cursor } : {} }, ListToolsResultSchema, requestOptions);

    if (tools.length + result.tools.length > maxTools) {
      throw new ToolListingLimitError('too_many_tools', `The server lists more than ${maxTools} tools.`);
    }
    for (const raw of result.tools) {
      const parsed = ListedToolSchema.safeParse(raw);
      if (!parsed.success) throw new ToolListingLimitError('invalid_tool', 'The server listed a tool without a valid name or input schema.');
      const bytes = new TextEncoder().encode(JSON.stringify(parsed.data)).byteLength;
      if (bytes > maxToolBytes) {
        throw new ToolListingLimitError('tool_too_large', `Tool "${parsed.data.name.slice(0, 64)}" is larger than ${maxToolBytes} bytes.`);
      }
      totalBytes += bytes;
      if (totalBytes > maxTotalBytes) {
        throw new ToolListingLimitError('tools_too_large', `The tools of the server are larger than ${maxTotalBytes} bytes together.`);
      }
      tools.push(parsed.data);
    }

    cursor = result.nextCursor;
    if (!cursor) break;
  }

  return tools;
}

/**
 * Ends the server's Streamable HTTP session so it can free it. Best effort: the tools are
 * already in hand, and the deadline still bounds the request.
 */
async function terminateSession(transport: Transport): Promise<void> {
  if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) {
    await transport.terminateSession().catch(() => {});
  }
}

function createTransport(connection: McpConnection, guardedFetch: GuardedFetch, signal: AbortSignal): Transport {
  const url = new URL(connection.url);
  // Every request carries the deadline, so nothing outlives the listing.
  const fetchWithDeadline: GuardedFetch = (input, init = {}) =>
    guardedFetch(input, { ...init, signal: init.signal ? AbortSignal.any([init.signal, signal]) : signal });
  const requestInit: RequestInit = { headers: connection.headers };

  if (connection.transport === 'sse') {
    return new SSEClientTransport(url, { fetch: fetchWithDeadline, requestInit });
  }
  return new StreamableHTTPClientTransport(url, {
    fetch: fetchWithDeadline,
    requestInit,
    // No reconnection: a listing is one short exchange, and its deadline is fixed.
    reconnectionOptions: { maxReconnectionDelay: 0, initialReconnectionDelay: 0, reconnectionDelayGrowFactor: 1, maxRetries: 0 },
  });
}
