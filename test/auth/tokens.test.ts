import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidTokenError, createTokenVerifier, signDevToken } from '../../functions/auth/tokens.js';
import { ConfigError, readConfig } from '../../functions/config.js';

const secret = 'a-local-hs256-secret-of-at-least-32-bytes';

describe('createTokenVerifier with HS256', () => {
  const verify = createTokenVerifier(readConfig({ AUTH_JWT_SECRET: secret }).auth);
  const key = new TextEncoder().encode(secret);

  it('maps subject, roles, name and email', async () => {
    const token = await signDevToken(key, { subject: 'u1', roles: ['admin', 'admin'], name: 'Una', email: 'una@example.com' });
    expect(await verify(token)).toEqual({ subject: 'u1', roles: ['admin'], email: 'una@example.com', username: 'Una' });
  });

  it('accepts roles as a space-separated string', async () => {
    const token = await new SignJWT({ roles: 'admin viewer' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u2').setExpirationTime('1h').sign(key);
    expect((await verify(token)).roles).toEqual(['admin', 'viewer']);
  });

  it.each([
    ['without exp', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u').sign(key)],
    ['without sub', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key)],
    ['with roles of the wrong type', () => new SignJWT({ roles: [1, 2] }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setExpirationTime('1h').sign(key)],
    ['expired', () => signDevToken(key, { subject: 'u', roles: [], expiresIn: -60 })],
    ['signed with another secret', () => signDevToken(new TextEncoder().encode(`${secret}!`), { subject: 'u', roles: [] })],
    ['unsigned (alg none)', async () => `${btoa(JSON.stringify({ alg: 'none' }))}.${btoa(JSON.stringify({ sub: 'u', exp: 4e9 }))}.`],
  ])('rejects a token %s', async (_name, make) => {
    await expect(verify(await make())).rejects.toBeInstanceOf(InvalidTokenError);
  });
});

describe('createTokenVerifier with a JWKS URL', () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  const issuer = 'https://id.example.com/';
  const audience = 'switchboard';

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = createServer((_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sign = (claims: { iss?: string; aud?: string; alg?: string }) =>
    new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: claims.alg ?? 'ES256', kid: 'k1' })
      .setSubject('idp-user')
      .setIssuer(claims.iss ?? issuer)
      .setAudience(claims.aud ?? audience)
      .setExpirationTime('5m')
      .sign(privateKey);

  const verifier = () =>
    createTokenVerifier(
      readConfig({ AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience, ALLOW_LOCAL_TARGETS: 'true' }).auth,
    );

  it('accepts a token from the provider', async () => {
    expect(await verifier()(await sign({}))).toMatchObject({ subject: 'idp-user', roles: ['admin'] });
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example.com/' }],
    ['another audience', { aud: 'someone-else' }],
  ])('rejects a token for %s', async (_name, claims) => {
    await expect(verifier()(await sign(claims))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('rejects an HS256 token signed with the public key material', async () => {
    const forged = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setSubject('attacker')
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    await expect(verifier()(forged)).rejects.toBeInstanceOf(InvalidTokenError);
  });
});

describe('readConfig', () => {
  it.each([
    ['no auth settings', {}, /AUTH_JWKS_URL|AUTH_JWT_SECRET/],
    ['a short HS256 secret', { AUTH_JWT_SECRET: 'short' }, /at least 32 bytes/],
    ['a JWKS URL without issuer and audience', { AUTH_JWKS_URL: 'https://id.example.com/jwks' }, /AUTH_ISSUER/],
    ['a plain-http JWKS URL', { AUTH_JWKS_URL: 'http://id.example.com/jwks', AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' }, /https/],
    ['a relative JWKS URL', { AUTH_JWKS_URL: '/jwks', AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' }, /absolute/],
    ['an unknown ALLOW_LOCAL_TARGETS value', { AUTH_JWT_SECRET: secret, ALLOW_LOCAL_TARGETS: 'maybe' }, /ALLOW_LOCAL_TARGETS/],
  ])('stops on %s', (_name, env, message) => {
    expect(() => readConfig(env)).toThrow(ConfigError);
    expect(() => readConfig(env)).toThrow(message);
  });

  it('defaults the roles claim and keeps local targets off', () => {
    const config = readConfig({ AUTH_JWT_SECRET: secret });
    expect(config.auth.rolesClaim).toBe('roles');
    expect(config.allowLocalTargets).toBe(false);
  });
});
