/** What every endpoint module can rely on: the runtime's services and the request's context. */
import type { UserActor } from '../db/actor.js';
import type { Keyring } from '../db/crypto/index.js';
import type { Database } from '../db/database.js';
import type { TokenVerifier } from './auth/tokens.js';
import type { AppConfig } from './config.js';
import type { Logger } from './log.js';
import type { GuardedFetch } from './outbound/guarded-fetch.js';

/** The services one process or isolate shares across requests. */
export interface Runtime {
  config: AppConfig;
  keyring: Keyring;
  verifyToken: TokenVerifier;
  log: Logger;
  /**
   * Resolves a host name for the outbound guard, so names that point inside the network are
   * refused; Node passes `dns.lookup`, and a Worker, which cannot reach private networks, none.
   */
  resolveHost?: (host: string) => Promise<string[]>;
  /** The guarded client for every request Switchboard itself sends: token, discovery, registration, revocation. */
  fetchOutbound: GuardedFetch;
  /** Returns the database for one request and releases it afterwards. */
  acquireDatabase(): Promise<{ db: Database; release(): Promise<void> }>;
}

export interface AppVariables {
  runtime: Runtime;
  db: Database;
  /** Set by `authenticate` before any handler that needs a user runs. */
  actor: UserActor;
  requestId: string;
  /** The stable error code of a failed request, for the request log. */
  errorCode: string;
}

export interface AppEnv {
  Variables: AppVariables;
}
