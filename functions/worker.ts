/**
 * Cloudflare Worker entry: the composed app on Neon, with the keyring kept per isolate so
 * warm requests reuse unwrapped data keys.
 */
import type { ExecutionContext } from 'hono';
import { Keyring } from '../db/crypto/index.js';
import { openNeon } from '../db/open-neon.js';
import { createApp } from './app.js';
import { createTokenVerifier } from './auth/tokens.js';
import { readConfig } from './config.js';
import type { Runtime } from './env.js';
import { createKeyProvider, rotationDaysFrom } from './key-provider-config.js';
import { createLogger } from './log.js';
import { createGuardedFetch } from './outbound/guarded-fetch.js';
import { runScheduledRotation, type ScheduledEvent } from './scheduled.js';

export interface WorkerBindings {
  DATABASE_URL: string;
  /** Id, ARN or alias of the KMS key that wraps data keys; with AWS_REGION and AWS credentials. */
  KMS_KEY_ID?: string;
  /** base64url of a 32-byte root key for the local key provider, used when KMS_KEY_ID is unset. */
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
  rotationDays: number;
}

let isolate: Promise<Isolate> | undefined;

async function start(env: WorkerBindings): Promise<Isolate> {
  const config = readConfig(env);
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set.');
  const provider = await createKeyProvider(env, { credentialsFromEnvironment: true });
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
  return { app: createApp(runtime), runtime, rotationDays: rotationDaysFrom(env) };
}

/** Starts the isolate once; a failed start is retried by the next event. */
async function isolateFor(env: WorkerBindings): Promise<Isolate> {
  isolate ??= start(env);
  try {
    return await isolate;
  } catch (error) {
    isolate = undefined;
    // Misconfiguration: fail closed, with the reason in the log and not in the response.
    console.log(JSON.stringify({ level: 'error', event: 'startup_failed', error_message: (error as Error).message }));
    throw error;
  }
}

export default {
  async fetch(request: Request, env: WorkerBindings, ctx: ExecutionContext): Promise<Response> {
    let current: Isolate;
    try {
      current = await isolateFor(env);
    } catch {
      return Response.json(
        { code: 'service_unavailable', message: 'The service is not configured.', detail: '', validations: [] },
        { status: 503 },
      );
    }
    return current.app.fetch(request, env, ctx);
  },

  /**
   * Runs one key rotation pass for the cron trigger and logs it as `key_rotation`. The pass
   * is awaited rather than handed to `waitUntil`, so a failed pass fails the invocation.
   */
  async scheduled(event: ScheduledEvent, env: WorkerBindings): Promise<void> {
    const { runtime, rotationDays } = await isolateFor(env);
    await runScheduledRotation(runtime, event, { rotationDays });
  },
};
