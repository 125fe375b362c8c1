/**
 * The composed app on a fresh database, driven in process through `app.request`, with every
 * log line captured and a token for each kind of caller.
 */
import { signDevToken } from '../../functions/auth/tokens.js';
import { createApp } from '../../functions/app.js';
import { createTokenVerifier } from '../../functions/auth/tokens.js';
import { readConfig } from '../../functions/config.js';
import type { Runtime } from '../../functions/env.js';
import { createLogger } from '../../functions/log.js';
import { createGuardedFetch, type GuardedFetch } from '../../functions/outbound/guarded-fetch.js';
import { Keyring, LocalKeyProvider, type KeyProvider, type KeyringOptions } from '../../db/crypto/index.js';
import type { RoundTripListener } from '../../db/database.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { LeakScanner } from './leak-scan.js';
import { openApiMismatch } from './openapi-check.js';

export const testJwtSecret = 'test-secret-test-secret-test-secret-0123456789';

export type Caller = 'anonymous' | 'badSignature' | 'expired' | 'member' | 'otherMember' | 'admin';
export const callers: Caller[] = ['anonymous', 'badSignature', 'expired', 'member', 'otherMember', 'admin'];

/** A response whose JSON body tests read without declaring its type first. */
export type TestResponse = Omit<Response, 'json' | 'clone'> & {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): Promise<any>;
  clone(): TestResponse;
};

export interface TestApp {
  app: ReturnType<typeof createApp>;
  runtime: Runtime;
  database: TestDatabase;
  keyring: Keyring;
  provider: KeyProvider;
  /** Every log line the app wrote, as written. */
  logs: string[];
  tokens: Record<Exclude<Caller, 'anonymous'>, string>;
  /** Sends a request as `caller`; `body` is sent as JSON unless it is a string. */
  request(method: string, path: string, options?: { as?: Caller; body?: unknown; headers?: Record<string, string> }): Promise<TestResponse>;
  /** Counts round trips while `run` runs. */
  countRoundTrips(run: () => Promise<unknown>): Promise<string[]>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /**
   * Scans responses, logs and tables for leaked secrets when the app closes. Off for the
   * fuzz test, whose random values occur in ordinary text by chance.
   */
  leakScan?: boolean;
  rootKey?: Uint8Array;
  provider?: KeyProvider;
  keyring?: KeyringOptions;
  allowLocalTargets?: boolean;
  /** Further environment variables for `readConfig`, such as `MCP_CONNECT_TIMEOUT_MS`. */
  environment?: Record<string, string>;
  /** PUBLIC_BASE_URL; the OAuth redirect URIs are built from it. */
  publicBaseUrl?: string;
  /** APP_ORIGIN, which receives the OAuth completion message. */
  appOrigin?: string;
  /** Replaces the guarded outbound client, to count or fail provider calls. */
  fetchOutbound?: GuardedFetch;
}

export const testOAuthStateSecret = 'oauth-state-secret-oauth-state-secret-0123456789';
export const defaultPublicBaseUrl = 'http://127.0.0.1:31450';

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  let listener: RoundTripListener | undefined;
  const database = await createTestDatabase({ onRoundTrip: (sql) => listener?.(sql) });
  const provider =
    options.provider ?? (await LocalKeyProvider.create(options.rootKey ?? crypto.getRandomValues(new Uint8Array(32))));
  const keyring = new Keyring(provider, options.keyring);
  const logs: string[] = [];
  const config = readConfig({
    AUTH_JWT_SECRET: testJwtSecret,
    ALLOW_LOCAL_TARGETS: options.allowLocalTargets === false ? 'false' : 'true',
    ...options.environment,
    PUBLIC_BASE_URL: options.publicBaseUrl ?? defaultPublicBaseUrl,
    APP_ORIGIN: options.appOrigin ?? new URL(options.publicBaseUrl ?? defaultPublicBaseUrl).origin,
    OAUTH_STATE_SECRET: testOAuthStateSecret,
  });
  const runtime: Runtime = {
    config,
    keyring,
    verifyToken: createTokenVerifier(config.auth),
    log: createLogger((line) => logs.push(line)),
    fetchOutbound: options.fetchOutbound ?? createGuardedFetch({ allowLocalTargets: config.allowLocalTargets, resolveHost: resolveWithoutDns }),
    acquireDatabase: async () => ({ db: database.db, release: async () => {} }),
  };
  const app = createApp(runtime);
  const tokens = await makeTokens();
  const scanner = new LeakScanner();

  return {
    app,
    runtime,
    database,
    keyring,
    provider,
    logs,
    tokens,
    request: (method, path, { as = 'admin', body, headers = {} } = {}) => {
      const init: RequestInit = { method, headers: { ...headers } };
      if (as !== 'anonymous') (init.headers as Record<string, string>).Authorization = `Bearer ${tokens[as]}`;
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)['Content-Type'] ??= 'application/json';
      }
      return checkedRequest(app, method, path, init, scanner);
    },
    countRoundTrips: async (run) => {
      const statements: string[] = [];
      listener = (sql) => statements.push(sql);
      try {
        await run();
      } finally {
        listener = undefined;
      }
      return statements;
    },
    close: async () => {
      try {
        if (options.leakScan !== false) {
          for (const token of Object.values(tokens)) scanner.noteSecret(token);
          const leaks = await scanner.scan(database.db, logs);
          if (leaks.length > 0) throw new Error(`Leak scan failed:\n${leaks.join('\n')}`);
        }
      } finally {
        await database.close();
      }
    },
  };
}

/** Sends the request and fails the test when the response breaks the OpenAPI document. */
async function checkedRequest(app: TestApp['app'], method: string, path: string, init: RequestInit, scanner: LeakScanner): Promise<TestResponse> {
  const response = await app.request(path, init);
  const text = await response.clone().text();
  scanner.noteRequest(init.body, response.status < 300);
  scanner.noteResponse(response.status, response.headers, text);
  const mismatch = openApiMismatch(method, path, response.status, response.headers.get('Content-Type') ?? '', text);
  if (mismatch) throw new Error(mismatch);
  return response as TestResponse;
}

/** Resolves IP literals and localhost only, so the guard's check never sends a DNS query from a test. */
async function resolveWithoutDns(host: string): Promise<string[]> {
  return host === 'localhost' ? ['127.0.0.1'] : [];
}

async function makeTokens(): Promise<TestApp['tokens']> {
  const secret = new TextEncoder().encode(testJwtSecret);
  const wrongSecret = new TextEncoder().encode(`${testJwtSecret}-wrong`);
  return {
    admin: await signDevToken(secret, { subject: 'admin-1', roles: ['admin'], name: 'Ada Admin', email: 'ada@example.com' }),
    member: await signDevToken(secret, { subject: 'member-1', roles: [], name: 'Mel Member' }),
    otherMember: await signDevToken(secret, { subject: 'member-2', roles: ['viewer'], name: 'Otto Other' }),
    expired: await signDevToken(secret, { subject: 'member-1', roles: [], expiresIn: -3600 }),
    badSignature: await signDevToken(wrongSecret, { subject: 'admin-1', roles: ['admin'] }),
  };
}

/** Builds a minimal valid create body; tests override fields as they need. */
export function serverBody(slug: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    display_name: `Server ${slug}`,
    slug,
    url: `https://mcp.example.com/${slug}`,
    ...overrides,
  };
}
