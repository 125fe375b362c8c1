/** Helpers shared by the hostile-client suites: raw token signing and the stored-state snapshot. */
import { SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { sql } from 'drizzle-orm';
import { testJwtSecret, type TestApp, type TestResponse } from '../support/harness.js';

export const base = '/api/experimental/mcp/servers';

/** Signs `claims` with the harness's HS256 secret; `exp` defaults to one hour ahead unless set to undefined. */
export function signToken(claims: JWTPayload, header: Partial<JWTHeaderParameters> = {}): Promise<string> {
  const payload: JWTPayload = { exp: Math.floor(Date.now() / 1000) + 3600, ...claims };
  if ('exp' in claims && claims.exp === undefined) delete payload.exp;
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', ...header }).sign(new TextEncoder().encode(testJwtSecret));
}

/** Sends a request with a raw Authorization header and body, bypassing the harness's callers. */
export function rawRequest(
  t: TestApp,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<TestResponse> {
  return Promise.resolve(t.app.request(path, { method, headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}) })) as Promise<TestResponse>;
}

/** Reads every configuration, data key and user row, so a test can assert that a rejected request wrote nothing. */
export async function snapshot(t: TestApp): Promise<string> {
  const configs = await t.database.db.execute(sql`SELECT * FROM mcp_server_configs ORDER BY id`);
  const keys = await t.database.db.execute(sql`SELECT number, active_key_digest FROM dbcrypt_keys ORDER BY number`);
  const users = await t.database.db.execute(sql`SELECT id, subject, username, email, roles FROM users ORDER BY id`);
  return JSON.stringify({ configs: rowsOf(configs), keys: rowsOf(keys), users: rowsOf(users) });
}

/** PGlite returns `{ rows }` and node-postgres a result with `rows`; both carry the rows there. */
function rowsOf(result: unknown): unknown[] {
  return (result as { rows: unknown[] }).rows;
}

/** Asserts the single error shape and that `field` is among the named fields. */
export async function expectErrorNaming(response: TestResponse, status: number, field: string): Promise<void> {
  const body = await response.json();
  if (response.status !== status || !body.validations?.some((v: { field: string }) => v.field === field)) {
    throw new Error(`expected ${status} naming ${field}, got ${response.status} ${JSON.stringify(body)}`);
  }
}
