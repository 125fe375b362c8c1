/**
 * Cloudflare Worker entry: the composed app on Neon, with the keyring kept per isolate so
 * warm requests reuse unwrapped data keys.
 */
import type { ExecutionContext } from 'hono';
import { Keyring, LocalKeyProvider } from '../db/crypto/index.js';
import { fromBase64Url } from '../db/crypto/aead.js';
import { openNeon } from '../db/open-neon.js';
import { createApp } from './app.js';
import { createTokenVerifier } from './auth/tokens.js';
import { readConfig } from './config.js';
import type { Runtime } from './env.js';
import { createLogger } from './log.js';
import { createGuardedFetch } from './outbound/guarded-fetch.js';

export interface WorkerBindings {
  DATABASE_URL: string;
  /** base64url of a 32-byte root key for the local key provider. */
  LOCAL_ROOT_KEY?: string;
  /** `host:port/path` of a WebSocket-to-TCP proxy, for tests against a plain PostgreSQL server. */
  NEON_WS_PROXY?: string;
  /** The URL browsers use to reach this Worker; OAuth redirect URIs are built from it. */
  PUBLIC_BASE_URL?: string;
  /** The app origin that receives the OAuth popup's completion message. */
  APP_ORIGIN?: string;
  /** Secret for OAuth state cookies and connect tickets, at least 32 bytes; a Worker secret. */
  OAUTH_STATE_SECRET?: string;
  [name: string]: unknown;
}

interface Isolate {
  app: ReturnType<typeof createApp>;
  runtime: Runtime;
}

let isolate: Promise<Isolate> | undefined;

async function start(env: WorkerBindings): Promise<Isolate> {
  const config = readConfig(env);
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set.');
  if (!env.LOCAL_ROOT_KEY) throw new Error('No key provider is configured: set LOCAL_ROOT_KEY.');
  const provider = await LocalKeyProvider.create(fromBase64Url(env.LOCAL_ROOT_KEY));
  const runtime: Runtime = {
    config,
    keyring: new Keyring(provider),
    verifyToken: createTokenVerifier(config.auth),
    log: createLogger(),
    // Workers cannot reach private networks, so there is no resolver to consult.
    fetchOutbound: createGuardedFetch({ allowLocalTargets: config.allowLocalTargets }),
    acquireDatabase: async () => {
      const handle = openNeon({
        databaseUrl: env.DATABASE_URL,
        ...(env.NEON_WS_PROXY ? { webSocketProxy: env.NEON_WS_PROXY } : {}),
      });
      return { db: handle.db, release: () => handle.close() };
    },
  };
  return { app: createApp(runtime), runtime };
}

export default {
  async fetch(request: Request, env: WorkerBindings, ctx: ExecutionContext): Promise<Response> {
    isolate ??= start(env);
    let current: Isolate;
    try {
      current = await isolate;
    } catch (error) {
      isolate = undefined;
      // Misconfiguration: fail closed, with the reason in the log and not in the response.
      console.log(JSON.stringify({ level: 'error', event: 'startup_failed', error_message: (error as Error).message }));
      return Response.json(
        { code: 'service_unavailable', message: 'The service is not configured.', detail: '', validations: [] },
        { status: 503 },
      );
    }
    return current.app.fetch(request, env, ctx);
  },
};
