import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../../db/crypto/aead.js';
import {
  DecryptionError,
  KeyCheckError,
  Keyring,
  LocalKeyProvider,
  secretColumns,
  type KeyProvider,
} from '../../db/crypto/index.js';
import { dbcryptKeys, mcpServerConfigs } from '../../db/schema.js';
import { createTestApp, serverBody, type TestApp } from '../support/harness.js';

const rootKey = crypto.getRandomValues(new Uint8Array(32));
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ rootKey });
});
afterAll(() => t.close());

async function createWithSecrets(slug: string) {
  const response = await t.request('POST', '/api/experimental/mcp/servers', {
    body: serverBody(slug, { auth_type: 'api_key', api_key_value: `api-key-of-${slug}` }),
  });
  expect(response.status).toBe(201);
  const { id } = await response.json();
  const [row] = await t.database.db.select().from(mcpServerConfigs).where(eq(mcpServerConfigs.id, id));
  return row!;
}

describe('Keyring', () => {
  it('stores a versioned ciphertext and a 128-bit key digest, never the plaintext', async () => {
    const row = await createWithSecrets('stored');
    expect(row.apiKeyValue).toMatch(/^v1:[A-Za-z0-9_-]+$/);
    expect(row.apiKeyValue).not.toContain('api-key-of-stored');
    expect(row.apiKeyValueKeyId).toMatch(/^[0-9a-f]{32}$/);

    const [key] = await t.database.db.select().from(dbcryptKeys);
    expect(key).toMatchObject({ number: 1, activeKeyDigest: row.apiKeyValueKeyId, revokedKeyDigest: null });
    expect(key!.kmsKeyId).toMatch(/^local:[0-9a-f]{16}$/);
  });

  it('decrypts a stored value in its own row', async () => {
    const row = await createWithSecrets('roundtrip');
    const plaintext = await t.keyring.decrypt(t.database.db, secretColumns.apiKeyValue, row.id, row.apiKeyValue!, row.apiKeyValueKeyId!);
    expect(plaintext).toBe('api-key-of-roundtrip');
  });

  it('encrypts the same value differently twice', async () => {
    const encryptor = await t.keyring.encryptor(t.database.db);
    const rowId = crypto.randomUUID();
    const first = await encryptor.encrypt(secretColumns.apiKeyValue, rowId, 'same');
    const second = await encryptor.encrypt(secretColumns.apiKeyValue, rowId, 'same');
    expect(first).not.toBe(second);
  });

  it('refuses a ciphertext copied to another row', async () => {
    const source = await createWithSecrets('copy-source');
    const target = await createWithSecrets('copy-target');
    await t.database.db
      .update(mcpServerConfigs)
      .set({ apiKeyValue: source.apiKeyValue, apiKeyValueKeyId: source.apiKeyValueKeyId })
      .where(eq(mcpServerConfigs.id, target.id));

    await expect(
      t.keyring.decrypt(t.database.db, secretColumns.apiKeyValue, target.id, source.apiKeyValue!, source.apiKeyValueKeyId!),
    ).rejects.toBeInstanceOf(DecryptionError);
  });

  it('refuses a ciphertext moved to another column', async () => {
    const row = await createWithSecrets('other-column');
    await expect(
      t.keyring.decrypt(t.database.db, secretColumns.oauth2ClientSecret, row.id, row.apiKeyValue!, row.apiKeyValueKeyId!),
    ).rejects.toBeInstanceOf(DecryptionError);
  });

  it.each([0, 5, 20, -1])('refuses a ciphertext with byte %i flipped', async (position) => {
    const row = await createWithSecrets(`flipped-${position < 0 ? 'last' : position}`);
    const bytes = fromBase64Url(row.apiKeyValue!.slice(3));
    const index = position < 0 ? bytes.length + position : position;
    bytes[index] = bytes[index]! ^ 0x01;
    const tampered = `v1:${toBase64Url(bytes)}`;
    await expect(
      t.keyring.decrypt(t.database.db, secretColumns.apiKeyValue, row.id, tampered, row.apiKeyValueKeyId!),
    ).rejects.toBeInstanceOf(DecryptionError);
  });

  it('refuses an unknown format version', async () => {
    const row = await createWithSecrets('version');
    await expect(
      t.keyring.decrypt(t.database.db, secretColumns.apiKeyValue, row.id, `v9:${row.apiKeyValue!.slice(3)}`, row.apiKeyValueKeyId!),
    ).rejects.toBeInstanceOf(DecryptionError);
  });

  it('stops on a wrong root key, naming the key number', async () => {
    const wrong = new Keyring(await LocalKeyProvider.create(crypto.getRandomValues(new Uint8Array(32))));
    const error = await wrong.verify(t.database.db).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyCheckError);
    expect((error as KeyCheckError).keyNumber).toBe(1);
    expect((error as Error).message).toMatch(/Data key 1/);
  });

  it('stops when a data key fails its test canary', async () => {
    const [key] = await t.database.db.select().from(dbcryptKeys).where(eq(dbcryptKeys.number, 1));
    const canary = fromBase64Url(key!.test);
    canary[canary.length - 1] = canary[canary.length - 1]! ^ 0xff;
    await t.database.db.update(dbcryptKeys).set({ test: toBase64Url(canary) }).where(eq(dbcryptKeys.number, 1));
    try {
      const fresh = new Keyring(await LocalKeyProvider.create(rootKey));
      await expect(fresh.verify(t.database.db)).rejects.toThrow(/Data key 1 fails its test value/);
    } finally {
      await t.database.db.update(dbcryptKeys).set({ test: key!.test }).where(eq(dbcryptKeys.number, 1));
    }
  });

  it('lets the database refuse to revoke a key that rows still use', async () => {
    await createWithSecrets('revoke-guard');
    const revoke = t.database.db
      .update(dbcryptKeys)
      .set({ activeKeyDigest: null, revokedKeyDigest: sql`${dbcryptKeys.activeKeyDigest}`, revokedAt: sql`now()` })
      .where(eq(dbcryptKeys.number, 1));
    await expect(revoke).rejects.toThrow();
  });

  it('unwraps each data key once while the cache is warm', async () => {
    let unwraps = 0;
    const provider = await LocalKeyProvider.create(rootKey);
    // Inherits every other method from the real provider and counts unwraps.
    const counting: KeyProvider = Object.assign(Object.create(provider) as KeyProvider, {
      decryptDataKey: (...args: Parameters<typeof provider.decryptDataKey>) => {
        unwraps++;
        return provider.decryptDataKey(...args);
      },
    });
    const keyring = new Keyring(counting);
    await Promise.all(Array.from({ length: 20 }, () => keyring.encryptor(t.database.db)));
    for (let i = 0; i < 100; i++) await keyring.encryptor(t.database.db);
    expect(unwraps).toBe(1);
  });
});
