/**
 * Finds the authorization server of an MCP server from its URL, as the MCP authorization
 * specification (2025-06-18) prescribes:
 *
 * 1. Protected resource metadata (RFC 9728): the `resource_metadata` parameter of the
 *    `WWW-Authenticate` challenge that an unauthenticated request gets (section 5.1), then
 *    the path-aware well-known URL, then the root one (section 3.1).
 * 2. Authorization server metadata of the first listed issuer: RFC 8414, then OpenID Connect
 *    Discovery. The metadata's `issuer` must equal the issuer it was fetched for (RFC 8414
 *    section 3.3), and it must advertise PKCE S256, which the MCP specification requires.
 *
 * Every request goes through the guarded outbound client.
 */
import * as oauth from 'oauth4webapi';
import { z } from 'zod';
import { httpOptions, type OutboundContext } from './http-options.js';

export type DiscoveryStep = 'protected_resource_metadata' | 'authorization_server_metadata' | 'client_registration';

/** A discovery that failed; `reason` names the URL or rule, never a response body, so it may reach the admin. */
export class DiscoveryError extends Error {
  constructor(
    readonly step: DiscoveryStep,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'DiscoveryError';
  }
}

export interface ProtectedResource {
  /** The resource identifier to send as `resource` (RFC 8707). */
  resource: string;
  issuer: string;
  scopes: string[];
}

const resourceMetadataSchema = z.object({
  resource: z.string().url(),
  authorization_servers: z.array(z.string().url()).min(1),
  scopes_supported: z.array(z.string()).optional(),
});

/** An MCP `initialize` request; servers that need a token reject it with 401 and a challenge. */
const probeBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'switchboard-discovery', version: '1' } },
});

/** @throws DiscoveryError at step `protected_resource_metadata`. */
export async function discoverProtectedResource(outbound: OutboundContext, mcpUrl: string): Promise<ProtectedResource> {
  const target = new URL(mcpUrl);
  const candidates: string[] = [];
  const hint = await challengeHint(outbound, target);
  if (hint.resourceMetadata) candidates.push(hint.resourceMetadata);
  const wellKnown = new URL('/.well-known/oauth-protected-resource', target.origin);
  if (target.pathname !== '/') candidates.push(`${wellKnown.href}${target.pathname.replace(/\/$/, '')}`);
  candidates.push(wellKnown.href);

  for (const candidate of candidates) {
    let response: Response;
    try {
      response = await outbound.fetch(candidate, { headers: { Accept: 'application/json' } });
    } catch (error) {
      throw new DiscoveryError('protected_resource_metadata', `Fetching ${candidate} failed.`, { cause: error });
    }
    if (!response.ok) {
      await response.body?.cancel();
      continue;
    }
    const parsed = resourceMetadataSchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) {
      throw new DiscoveryError('protected_resource_metadata', `${candidate} is not valid protected resource metadata.`);
    }
    const metadata = parsed.data;
    if (!coversUrl(metadata.resource, target)) {
      // RFC 9728 section 3.3: metadata for another resource must not be used, or a server
      // could send this client's tokens to an authorization server of its choosing.
      throw new DiscoveryError('protected_resource_metadata', `${candidate} describes ${metadata.resource}, not ${mcpUrl}.`);
    }
    const scopes = hint.scope ? hint.scope.split(' ').filter(Boolean) : (metadata.scopes_supported ?? []);
    return { resource: metadata.resource, issuer: metadata.authorization_servers[0]!, scopes };
  }
  throw new DiscoveryError(
    'protected_resource_metadata',
    `No protected resource metadata found for ${mcpUrl}; the server sent no resource_metadata hint and ${wellKnown.href} is missing.`,
  );
}

/**
 * Fetches and checks the metadata of `issuer`.
 * @throws DiscoveryError at step `authorization_server_metadata`.
 */
export async function discoverAuthorizationServer(outbound: OutboundContext, issuer: string): Promise<oauth.AuthorizationServer> {
  const issuerUrl = new URL(issuer);
  let metadata: oauth.AuthorizationServer | undefined;
  for (const algorithm of ['oauth2', 'oidc'] as const) {
    let response: Response;
    try {
      response = await oauth.discoveryRequest(issuerUrl, { algorithm, ...httpOptions(outbound) });
    } catch (error) {
      throw new DiscoveryError('authorization_server_metadata', `Fetching the metadata of ${issuer} failed.`, { cause: error });
    }
    if (response.status === 404) {
      await response.body?.cancel();
      continue;
    }
    try {
      metadata = await oauth.processDiscoveryResponse(issuerUrl, response);
    } catch (error) {
      const mismatch = error instanceof oauth.OperationProcessingError && error.code === oauth.JSON_ATTRIBUTE_COMPARISON;
      throw new DiscoveryError(
        'authorization_server_metadata',
        mismatch ? `The metadata of ${issuer} names another issuer.` : `The metadata of ${issuer} is invalid.`,
        { cause: error },
      );
    }
    break;
  }
  if (!metadata) {
    throw new DiscoveryError('authorization_server_metadata', `${issuer} publishes neither OAuth nor OpenID Connect metadata.`);
  }
  if (!metadata.authorization_endpoint || !metadata.token_endpoint) {
    throw new DiscoveryError('authorization_server_metadata', `The metadata of ${issuer} lacks an authorization or token endpoint.`);
  }
  if (!metadata.code_challenge_methods_supported?.includes('S256')) {
    throw new DiscoveryError('authorization_server_metadata', `${issuer} does not advertise PKCE with S256.`);
  }
  return metadata;
}

/** Reads `resource_metadata` and `scope` from the challenge of an unauthenticated request (RFC 9728 section 5.1). */
async function challengeHint(outbound: OutboundContext, target: URL): Promise<{ resourceMetadata?: string | undefined; scope?: string }> {
  let response: Response;
  try {
    response = await outbound.fetch(target, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: probeBody,
    });
  } catch {
    // The well-known URLs may still respond, and their failure is reported instead.
    return {};
  }
  await response.body?.cancel();
  if (response.status !== 401) return {};
  const challenge = response.headers.get('WWW-Authenticate') ?? '';
  const resourceMetadata = /resource_metadata="([^"]+)"/i.exec(challenge)?.[1];
  const scope = /\bscope="([^"]*)"/i.exec(challenge)?.[1];
  return {
    ...(resourceMetadata ? { resourceMetadata: absoluteUrl(resourceMetadata, target) } : {}),
    ...(scope ? { scope } : {}),
  };
}

/** True when `resource` has the origin of `target` and a path that is a prefix of its path. */
function coversUrl(resource: string, target: URL): boolean {
  const url = new URL(resource);
  if (url.origin !== target.origin) return false;
  const prefix = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return url.pathname === target.pathname || `${target.pathname}/`.startsWith(prefix);
}

function absoluteUrl(value: string, base: URL): string | undefined {
  try {
    return new URL(value, base).href;
  } catch {
    return undefined;
  }
}
