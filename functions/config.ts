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

export interface AppConfig {
  auth: AuthConfig;
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
    allowLocalTargets,
    mcpTools,
  };
}
