/** The outbound guard as the MCP client uses it. */
import type { Runtime } from '../env.js';
import { createGuardedFetch, type GuardedFetch } from '../outbound/guarded-fetch.js';

/** Maximum size of one MCP response body, SSE streams included. */
export const mcpMaxResponseBytes = 4 * 1024 * 1024;

/**
 * Returns the guarded fetch for MCP traffic. It follows no redirects, because MCP requests
 * carry credentials and the guard would forward them to the redirect target. A server that
 * redirects is reported with `too_many_redirects`, and its URL needs fixing.
 */
export function createMcpFetch(runtime: Runtime): GuardedFetch {
  return createGuardedFetch({
    allowLocalTargets: runtime.config.allowLocalTargets,
    timeoutMs: runtime.config.mcpTools.connectTimeoutMs,
    maxResponseBytes: mcpMaxResponseBytes,
    maxRedirects: 0,
    ...(runtime.resolveHost ? { resolveHost: runtime.resolveHost } : {}),
  });
}
