/** The options that route every oauth4webapi request through the guarded outbound client. */
import { allowInsecureRequests, customFetch } from 'oauth4webapi';
import type { GuardedFetch } from '../outbound/guarded-fetch.js';

export interface OutboundContext {
  fetch: GuardedFetch;
  /** Lets plain http reach loopback hosts; the guard still decides which hosts are reachable. */
  allowLocalTargets: boolean;
}

export function httpOptions(outbound: OutboundContext) {
  return {
    [customFetch]: (url: string, init: RequestInit) => outbound.fetch(url, init),
    [allowInsecureRequests]: outbound.allowLocalTargets,
  };
}
