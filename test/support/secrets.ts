/** Stored secrets for rotation tests: seeding every encrypted column, and reading them all back. */
import { expect } from 'vitest';
import { secretColumns, type Keyring } from '../../db/crypto/index.js';
import { secretColumnRefs } from '../../db/crypto/reencrypt.js';
import type { Database } from '../../db/database.js';
import { mcpServerUserTokens, users } from '../../db/schema.js';
import type { TestApp } from './harness.js';

/** Plaintext per `table.column/row id`. */
export type SecretValues = Map<string, string>;

const serverBodies = [
  (i: number) => ({ auth_type: 'api_key', api_key_header: 'X-Api-Key', api_key_value: `api-key-${i}` }),
  (i: number) => ({ auth_type: 'custom_headers', custom_headers: { 'X-Team': `team-${i}` } }),
  (i: number) => ({
    auth_type: 'oauth2',
    oauth2_client_id: `client-${i}`,
    oauth2_client_secret: `client-secret-${i}`,
    oauth2_auth_url: 'https://auth.example.com/authorize',
    oauth2_token_url: 'https://auth.example.com/token',
  }),
];

/**
 * Creates `count` servers through the API, cycling through the auth types that store a
 * secret, and an access and refresh token for each oauth2 server.
 */
export async function seedSecrets(t: TestApp, count: number, prefix = 'seed'): Promise<SecretValues> {
  const userId = crypto.randomUUID();
  await t.database.db.insert(users).values({ id: userId, subject: `${prefix}-user`, username: `${prefix}-user` });
  for (let i = 0; i < count; i++) {
    const body = { display_name: `${prefix} ${i}`, slug: `${prefix}-${i}`, url: `https://mcp.example.com/${prefix}-${i}`, ...serverBodies[i % 3]!(i) };
    const response = await t.request('POST', '/api/experimental/mcp/servers', { body });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    if (i % 3 !== 2) continue;
    const encryptor = await t.keyring.encryptor(t.database.db);
    const tokenId = crypto.randomUUID();
    await t.database.db.insert(mcpServerUserTokens).values({
      id: tokenId,
      mcpServerConfigId: id,
      userId,
      accessToken: await encryptor.encrypt(secretColumns.accessToken, tokenId, `access-${i}`),
      accessTokenKeyId: encryptor.keyId,
      refreshToken: await encryptor.encrypt(secretColumns.refreshToken, tokenId, `refresh-${i}`),
      refreshTokenKeyId: encryptor.keyId,
    });
  }
  return readSecrets(t.database.db, t.keyring);
}

/** Decrypts every stored secret. */
export async function readSecrets(db: Database, keyring: Keyring): Promise<SecretValues> {
  const values: SecretValues = new Map();
  for (const ref of secretColumnRefs) {
    const rows = (await db.select({ id: ref.id, value: ref.value, keyId: ref.keyId }).from(ref.table)) as {
      id: string;
      value: string | null;
      keyId: string | null;
    }[];
    for (const row of rows) {
      if (row.value === null || row.keyId === null) continue;
      values.set(`${ref.secret.table}.${ref.secret.column}/${row.id}`, await keyring.decrypt(db, ref.secret, row.id, row.value, row.keyId));
    }
  }
  return values;
}

/** Counts the stored values under each key digest. */
export async function keyUsage(db: Database): Promise<Map<string, number>> {
  const usage = new Map<string, number>();
  for (const ref of secretColumnRefs) {
    const rows = (await db.select({ keyId: ref.keyId }).from(ref.table)) as { keyId: string | null }[];
    for (const { keyId } of rows) if (keyId) usage.set(keyId, (usage.get(keyId) ?? 0) + 1);
  }
  return usage;
}
