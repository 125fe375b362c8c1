/**
 * The one HTTP client for every request Switchboard itself sends (token, discovery,
 * registration, revocation, MCP). It enforces https, refuses private, loopback, link-local
 * and metadata targets unless the deployment allows local targets, bounds time and response
 * size, and re-checks every redirect hop.
 */
import { isBlockedAddress, isBlockedName, isLoopback } from './addresses.js';

export interface GuardedFetchOptions {
  /** Lets requests reach loopback and private addresses, and plain http on loopback; for tests and `npm start`. */
  allowLocalTargets: boolean;
  /** Whole-request deadline, including redirects and reading the body. */
  timeoutMs?: number;
  maxResponseBytes?: number;
  maxRedirects?: number;
  /**
   * Resolves a host name to addresses so names that point inside the network are refused too.
   * Node passes `dns.lookup`; a Worker has no resolver and cannot reach private networks.
   */
  resolveHost?: (host: string) => Promise<string[]>;
  /** The underlying fetch; defaults to the global one. */
  fetch?: typeof fetch;
}

export type GuardedFetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** An outbound request that the guard refused or cut short. `reason` is safe to log and to show to admins. */
export class OutboundRequestError extends Error {
  constructor(
    readonly code: 'blocked_target' | 'timeout' | 'response_too_large' | 'too_many_redirects' | 'network_error',
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'OutboundRequestError';
  }
}

export const defaultTimeoutMs = 10_000;
export const defaultMaxResponseBytes = 1024 * 1024;

export function createGuardedFetch(options: GuardedFetchOptions): GuardedFetch {
  const baseFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const maxRedirects = options.maxRedirects ?? 5;

  return async (input, init = {}) => {
    const deadline = AbortSignal.timeout(options.timeoutMs ?? defaultTimeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    let url = new URL(input);
    let requestInit: RequestInit = { ...init, signal, redirect: 'manual' };

    for (let hop = 0; ; hop++) {
      await checkTarget(url, options);
      let response: Response;
      try {
        response = await baseFetch(url, requestInit);
      } catch (error) {
        if (deadline.aborted) throw new OutboundRequestError('timeout', `Request to ${url.host} timed out.`, { cause: error });
        if (signal.aborted) throw error;
        throw new OutboundRequestError('network_error', `Request to ${url.host} failed.`, { cause: error });
      }

      const location = response.headers.get('Location');
      if (response.status >= 300 && response.status < 400 && location) {
        if (hop >= maxRedirects) throw new OutboundRequestError('too_many_redirects', `More than ${maxRedirects} redirects from ${url.host}.`);
        await response.body?.cancel();
        url = new URL(location, url);
        // RFC 9110 section 15.4: 307 and 308 keep method and body; the others become GET.
        if (response.status !== 307 && response.status !== 308) {
          const { body: _body, ...rest } = requestInit;
          requestInit = { ...rest, method: 'GET' };
        }
        continue;
      }
      return limitBody(response, options.maxResponseBytes ?? defaultMaxResponseBytes, deadline, url.host);
    }
  };
}

async function checkTarget(url: URL, options: GuardedFetchOptions): Promise<void> {
  const host = url.hostname;
  if (url.username || url.password) throw new OutboundRequestError('blocked_target', 'URLs with credentials are not allowed.');
  if (url.protocol === 'http:' && options.allowLocalTargets && isLoopback(host)) return;
  if (url.protocol !== 'https:') throw new OutboundRequestError('blocked_target', `Only https is allowed; ${url.protocol} is not.`);
  if (options.allowLocalTargets) return;
  if (isBlockedName(host) || isBlockedAddress(host)) {
    throw new OutboundRequestError('blocked_target', `${host} is a private, loopback or link-local address.`);
  }
  if (options.resolveHost && !host.startsWith('[') && !/^[\d.]+$/.test(host)) {
    // NOTE: the connection resolves the name again, so a DNS answer that changes between the
    // two lookups can slip past. A Worker cannot reach private networks either way.
    const addresses = await options.resolveHost(host).catch(() => []);
    if (addresses.some(isBlockedAddress)) {
      throw new OutboundRequestError('blocked_target', `${host} resolves to a private, loopback or link-local address.`);
    }
  }
}

/** Passes the body through, failing once it grows past `maxBytes`. */
function limitBody(response: Response, maxBytes: number, deadline: AbortSignal, host: string): Response {
  const declared = Number(response.headers.get('Content-Length') ?? NaN);
  if (declared > maxBytes) {
    void response.body?.cancel();
    throw new OutboundRequestError('response_too_large', `Response from ${host} exceeds ${maxBytes} bytes.`);
  }
  if (!response.body) return response;
  let received = 0;
  const counted = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength;
        if (received > maxBytes) {
          controller.error(new OutboundRequestError('response_too_large', `Response from ${host} exceeds ${maxBytes} bytes.`));
          return;
        }
        if (deadline.aborted) {
          controller.error(new OutboundRequestError('timeout', `Response from ${host} timed out.`));
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
}
