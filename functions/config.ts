/**
 * Deployment settings, read once from the environment (process.env in Node, bindings in the
 * Worker). A wrong setting throws `ConfigError` at start-up; it never becomes a 4xx.
 */
import { z } from 'zod';

export interface AuthConfig {
  /** `hs256`: a shared secret, for local runs and tests. `jwks`: an identity provider's keys. */
  mode: 'hs256' | 'jwks';
  hs256Secret?: Uint8Array;
  jwksUrl?: URL;
  issuer?: string;
  audience?: string;
  /** The claim that lists roles; `admin` in it grants configuration rights. */
  rolesClaim: string;
}

/** Per-user OAuth settings; undefined when the deployment sets none of their variables. */
export interface OAuthConfig {
  /** Where browsers reach Switchboard; redirect URIs are built from it, never from request headers. */
  publicBaseUrl: URL;
  /** The only origin that receives the completion message of the connect popup. */
  appOrigin: string;
  /** Signs and encrypts state cookies and connect tickets; at least 32 bytes. */
  stateSecret: Uint8Array;
  /** False only for a plain-http loopback base URL, where browsers drop `Secure` cookies. */
  secureCookies: boolean;
}

export interface AppConfig {
  auth: AuthConfig;
  oauth: OAuthConfig | undefined;
  /**
   * Lets configured URLs use plain `http` on loopback addresses. For `npm start` and tests;
   * production leaves it off.
   */
  allowLocalTargets: boolean;
  mcpTools: McpToolsConfig;
}

export interface McpToolsConfig {
  /** Maximum age of a tool snapshot before the effective-tools endpoint lists the server's tools again. */
  snapshotMaxAgeMs: number;
  /** Deadline for connecting to an MCP server, initialising and listing every page of tools. */
  connectTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const minSecretBytes = 32;

const environmentSchema = z.object({
  AUTH_JWT_SECRET: z.string().optional(),
  AUTH_JWKS_URL: z.string().optional(),
  AUTH_ISSUER: z.string().optional(),
  AUTH_AUDIENCE: z.string().optional(),
  AUTH_ROLES_CLAIM: z.string().optional(),
  ALLOW_LOCAL_TARGETS: z.enum(['true', 'false', '1', '0', '']).optional(),
  TOOL_SNAPSHOT_MAX_AGE_SECONDS: z
    .string()
    .regex(/^\d+$/, 'Expected a whole number of seconds.')
    .optional(),
  MCP_CONNECT_TIMEOUT_MS: z
    .string()
    .regex(/^[1-9]\d*$/, 'Expected a positive whole number of milliseconds.')
    .optional(),
  PUBLIC_BASE_URL: z.string().optional(),
  APP_ORIGIN: z.string().optional(),
  OAUTH_STATE_SECRET: z.string().optional(),
});

const defaultSnapshotMaxAgeSeconds = 300;
const defaultConnectTimeoutMs = 10_000;

/** @throws ConfigError naming the variable to fix. */
export function readConfig(environment: Record<string, unknown>): AppConfig {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${issue.path.join('.')} is invalid: ${issue.message}`);
  }
  const env = parsed.data;
  const rolesClaim = env.AUTH_ROLES_CLAIM?.trim() || 'roles';
  const allowLocalTargets = env.ALLOW_LOCAL_TARGETS === 'true' || env.ALLOW_LOCAL_TARGETS === '1';
  const mcpTools: McpToolsConfig = {
    snapshotMaxAgeMs: Number(env.TOOL_SNAPSHOT_MAX_AGE_SECONDS ?? defaultSnapshotMaxAgeSeconds) * 1000,
    connectTimeoutMs: Number(env.MCP_CONNECT_TIMEOUT_MS ?? defaultConnectTimeoutMs),
  };
  const oauth = readOAuthConfig(env);

  if (env.AUTH_JWKS_URL) {
    let jwksUrl: URL;
    try {
      jwksUrl = new URL(env.AUTH_JWKS_URL);
    } catch {
      throw new ConfigError('AUTH_JWKS_URL must be an absolute URL.');
    }
    if (jwksUrl.protocol !== 'https:' && !(allowLocalTargets && jwksUrl.protocol === 'http:')) {
      throw new ConfigError('AUTH_JWKS_URL must use https.');
    }
    if (!env.AUTH_ISSUER || !env.AUTH_AUDIENCE) {
      throw new ConfigError('AUTH_JWKS_URL needs AUTH_ISSUER and AUTH_AUDIENCE, so tokens minted for other services are rejected.');
    }
    return {
      auth: { mode: 'jwks', jwksUrl, issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, rolesClaim },
      oauth,
      allowLocalTargets,
      mcpTools,
    };
  }

  if (!env.AUTH_JWT_SECRET) {
    throw new ConfigError('Set AUTH_JWKS_URL (with AUTH_ISSUER and AUTH_AUDIENCE) or AUTH_JWT_SECRET.');
  }
  const hs256Secret = new TextEncoder().encode(env.AUTH_JWT_SECRET);
  if (hs256Secret.byteLength < minSecretBytes) {
    throw new ConfigError(`AUTH_JWT_SECRET must be at least ${minSecretBytes} bytes.`);
  }
  return {
    auth: {
      mode: 'hs256',
      hs256Secret,
      rolesClaim,
      ...(env.AUTH_ISSUER ? { issuer: env.AUTH_ISSUER } : {}),
      ...(env.AUTH_AUDIENCE ? { audience: env.AUTH_AUDIENCE } : {}),
    },
    oauth,
    allowLocalTargets,
    mcpTools,
  };
}

/**
 * Reads PUBLIC_BASE_URL, APP_ORIGIN and OAUTH_STATE_SECRET. All absent leaves OAuth off, and
 * its endpoints answer 503; setting some but not the required ones is a ConfigError.
 */
function readOAuthConfig(env: z.infer<typeof environmentSchema>): OAuthConfig | undefined {
  if (!env.PUBLIC_BASE_URL && !env.APP_ORIGIN && !env.OAUTH_STATE_SECRET) return undefined;
  if (!env.PUBLIC_BASE_URL) throw new ConfigError('PUBLIC_BASE_URL is required when APP_ORIGIN or OAUTH_STATE_SECRET is set.');
  if (!env.OAUTH_STATE_SECRET) throw new ConfigError('OAUTH_STATE_SECRET is required when PUBLIC_BASE_URL is set.');

  const publicBaseUrl = parseHttpUrl('PUBLIC_BASE_URL', env.PUBLIC_BASE_URL);
  if (publicBaseUrl.search || publicBaseUrl.hash) throw new ConfigError('PUBLIC_BASE_URL must not have a query or fragment.');
  publicBaseUrl.pathname = publicBaseUrl.pathname.replace(/\/+$/, '');

  const appOrigin = env.APP_ORIGIN ? parseHttpUrl('APP_ORIGIN', env.APP_ORIGIN) : publicBaseUrl;
  if (env.APP_ORIGIN && appOrigin.href !== `${appOrigin.origin}/`) {
    throw new ConfigError('APP_ORIGIN must be an origin such as https://chat.example.com, without a path.');
  }

  const stateSecret = new TextEncoder().encode(env.OAUTH_STATE_SECRET);
  if (stateSecret.byteLength < minSecretBytes) {
    throw new ConfigError(`OAUTH_STATE_SECRET must be at least ${minSecretBytes} bytes.`);
  }
  return { publicBaseUrl, appOrigin: appOrigin.origin, stateSecret, secureCookies: publicBaseUrl.protocol === 'https:' };
}

/** An absolute https URL, or plain http on a loopback host. */
function parseHttpUrl(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL such as https://switchboard.example.com.`);
  }
  if (url.username || url.password) throw new ConfigError(`${name} must not contain credentials.`);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw new ConfigError(`${name} must use https; plain http is accepted only for localhost and 127.0.0.1.`);
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
