/**
 * Bearer token verification with jose. Production verifies against the identity provider's
 * JWKS with a required issuer and audience; local runs and tests use an HS256 secret.
 */
import { SignJWT, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { z } from 'zod';
import type { AuthConfig } from '../config.js';

/** The claims Switchboard reads, parsed and named. */
export interface TokenClaims {
  subject: string;
  roles: string[];
  email: string | null;
  username: string;
}

export type TokenVerifier = (token: string) => Promise<TokenClaims>;

/** A token that fails verification; `reason` goes into `WWW-Authenticate`. */
export class InvalidTokenError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
}

const asymmetricAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

/** Claim text that PostgreSQL can store and a log can show: no control characters or unpaired surrogates. */
const claimText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/)
    .refine((value) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value));

const claimsSchema = z.object({
  sub: claimText(255).min(1),
  email: claimText(320).optional(),
  name: claimText(255).optional(),
  preferred_username: claimText(255).optional(),
});

/** Roles arrive as an array of strings, or as one space-separated string as some providers send. */
const rolesSchema = z.union([z.array(claimText(100)).max(100), claimText(4000)]).optional();

export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const options: JWTVerifyOptions = {
    requiredClaims: ['sub', 'exp'],
    clockTolerance: 5,
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };
  const verify =
    config.mode === 'jwks'
      ? (() => {
          const keys = createRemoteJWKSet(config.jwksUrl!);
          return (token: string) => jwtVerify(token, keys, { ...options, algorithms: asymmetricAlgorithms });
        })()
      : (token: string) => jwtVerify(token, config.hs256Secret!, { ...options, algorithms: ['HS256'] });

  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await verify(token));
    } catch (error) {
      throw new InvalidTokenError(describeJoseError(error));
    }
    return parseClaims(payload, config.rolesClaim);
  };
}

function parseClaims(payload: JWTPayload, rolesClaim: string): TokenClaims {
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw new InvalidTokenError('The token claims are invalid.');
  const roles = rolesSchema.safeParse(payload[rolesClaim]);
  if (!roles.success) throw new InvalidTokenError(`The "${rolesClaim}" claim must be a list of strings.`);
  const roleList = typeof roles.data === 'string' ? roles.data.split(/\s+/).filter(Boolean) : (roles.data ?? []);
  return {
    subject: claims.data.sub,
    roles: [...new Set(roleList)],
    email: claims.data.email ?? null,
    username: claims.data.preferred_username ?? claims.data.name ?? claims.data.sub,
  };
}

function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The token has expired.';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is invalid.';
  if (error instanceof errors.JWTClaimValidationFailed) return `The token "${error.claim}" claim is invalid.`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'The token algorithm is not accepted.';
  if (error instanceof errors.JWKSNoMatchingKey) return 'No signing key matches the token.';
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return 'The token is malformed.';
  return 'The token could not be verified.';
}

export interface DevTokenOptions {
  subject: string;
  roles: string[];
  /** Lifetime in seconds. */
  expiresIn?: number;
  name?: string;
  email?: string;
}

/** Signs an HS256 token that a local server with the same secret accepts. Never used in production. */
export function signDevToken(secret: Uint8Array, options: DevTokenOptions): Promise<string> {
  return new SignJWT({
    roles: options.roles,
    ...(options.name ? { name: options.name } : {}),
    ...(options.email ? { email: options.email } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresIn ?? 7 * 24 * 3600))
    .sign(secret);
}
