/**
 * Typed client of the Switchboard API: paths, bodies and responses come from the OpenAPI
 * document through `client/schema.ts`, so a call with a wrong path, parameter or body type does not compile.
 *
 * @example
 * const switchboard = createSwitchboardClient({ baseUrl: 'http://127.0.0.1:8787', token: process.env.ADMIN_TOKEN! });
 * const { data, error } = await switchboard.GET('/api/experimental/mcp/servers');
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, paths };
export type McpServerConfig = components['schemas']['McpServerConfig'];
export type ApiError = components['schemas']['Error'];

export interface SwitchboardClientOptions {
  /** Origin of the service, such as `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** Bearer token sent on every request. */
  token?: string;
  /** A fetch to use instead of the global one, for tests and custom transports. */
  fetch?: typeof fetch;
}

export function createSwitchboardClient(options: SwitchboardClientOptions): Client<paths> {
  return createClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
  });
}
