/**
 * Maps whatever connecting to an MCP server threw to a stable code and a detail written
 * here. Server-sent text never reaches the detail: it could carry the server's internals or
 * echo a credential, and the detail is stored and shown to users.
 */
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { ZodError } from 'zod';
import { OutboundRequestError } from '../outbound/guarded-fetch.js';

export interface ListingFailure {
  code: string;
  detail: string;
}

/** A limit of the listing itself, thrown by the client and turned into a failure as it is. */
export class ToolListingLimitError extends Error {
  constructor(
    readonly code: 'too_many_tools' | 'tool_too_large' | 'tools_too_large' | 'too_many_pages' | 'invalid_tool',
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'ToolListingLimitError';
  }
}

export function listingFailureOf(error: unknown, timedOut: boolean, timeoutMs: number): ListingFailure {
  if (timedOut) return { code: 'timeout', detail: `The server did not finish listing its tools within ${timeoutMs} ms.` };
  if (error instanceof ToolListingLimitError) return { code: error.code, detail: error.detail };

  const outbound = findCause(error, OutboundRequestError);
  if (outbound) return { code: outbound.code, detail: outbound.reason };

  const status = httpStatusOf(error);
  if (status === 401 || status === 403) {
    return { code: 'unauthorized', detail: `The server rejected the credentials with HTTP ${status}.` };
  }
  if (status !== undefined && status > 0) return { code: 'http_error', detail: `The server answered HTTP ${status}.` };
  if (status === -1) return { code: 'invalid_response', detail: 'The server answered with an unexpected content type.' };

  if (error instanceof McpError) return { code: 'protocol_error', detail: `The server returned JSON-RPC error ${error.code}.` };
  if (error instanceof ZodError || error instanceof SyntaxError) {
    return { code: 'invalid_response', detail: 'The server answered with something that is not a valid MCP message.' };
  }
  return { code: 'connection_failed', detail: 'Connecting to the server or listing its tools failed.' };
}

function httpStatusOf(error: unknown): number | undefined {
  if (error instanceof StreamableHTTPError || error instanceof SseError) return typeof error.code === 'number' ? error.code : undefined;
  return undefined;
}

function findCause<T extends Error>(error: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof type) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
