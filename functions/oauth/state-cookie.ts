/**
 * The state of one authorization request, kept in the browser between connect and callback:
 * a JWT signed with HS256 and then encrypted (JWE `dir` + A256GCM), both keys derived from
 * OAUTH_STATE_SECRET. The browser can neither read the PKCE verifier nor change a field.
 * The cookie is HttpOnly, SameSite=Lax (the callback is a top-level GET from the provider),
 * Secure unless the public base URL is plain-http loopback, scoped to the server's callback
 * path and lives at most `stateLifetimeSeconds`.
 */
import { CompactEncrypt, SignJWT, compactDecrypt, jwtVerify } from 'jose';
import { z } from 'zod';
import type { OAuthConfig } from '../config.js';
import { deriveKey } from './keys.js';

export const stateLifetimeSeconds = 600;
const stateType = 'switchboard-oauth2-state+jwt';

const statePayload = z.object({
  /** The `state` parameter sent to the provider. */
  state: z.string().min(32),
  /** PKCE code verifier (RFC 7636 section 4.1). */
  verifier: z.string().min(43).max(128),
  uid: z.string().uuid(),
  sub: z.string().min(1),
  name: z.string(),
  email: z.string().nullable(),
  roles: z.array(z.string()),
  srv: z.string().uuid(),
  /** The issuer recorded at connect; empty for a configuration without discovery. */
  issuer: z.string(),
  resource: z.string(),
  redirectUri: z.string().url(),
  exp: z.number().int(),
});

export type OAuth2State = Omit<z.infer<typeof statePayload>, 'exp'> & { expiresAt: Date };

/** The cookie name; the path scoping keeps one cookie per server. */
export function stateCookieName(config: OAuthConfig): string {
  // RFC 6265bis section 4.1.3.1: `__Secure-` makes browsers reject the cookie unless it is Secure.
  return config.secureCookies ? '__Secure-switchboard-oauth2-state' : 'switchboard-oauth2-state';
}

/** Seals `state` into the cookie value. */
export async function sealState(config: OAuthConfig, state: Omit<OAuth2State, 'expiresAt'>): Promise<string> {
  const jws = await new SignJWT({ ...state })
    .setProtectedHeader({ alg: 'HS256', typ: stateType })
    .setIssuedAt()
    .setExpirationTime(`${stateLifetimeSeconds}s`)
    .sign(await deriveKey(config.stateSecret, 'state-cookie-hs256'));
  return new CompactEncrypt(new TextEncoder().encode(jws))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'JWT' })
    .encrypt(await deriveKey(config.stateSecret, 'state-cookie-a256gcm'));
}

/** Opens a cookie value; undefined when it is tampered with, expired or not a state cookie. */
export async function openState(config: OAuthConfig, value: string): Promise<OAuth2State | undefined> {
  try {
    const { plaintext } = await compactDecrypt(value, await deriveKey(config.stateSecret, 'state-cookie-a256gcm'), {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    const { payload } = await jwtVerify(
      new TextDecoder().decode(plaintext),
      await deriveKey(config.stateSecret, 'state-cookie-hs256'),
      { algorithms: ['HS256'], typ: stateType, requiredClaims: ['exp', 'iat'], maxTokenAge: `${stateLifetimeSeconds}s` },
    );
    const { exp, ...state } = statePayload.parse(payload);
    return { ...state, expiresAt: new Date(exp * 1000) };
  } catch {
    return undefined;
  }
}
