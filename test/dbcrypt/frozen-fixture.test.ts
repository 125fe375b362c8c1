import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Keyring, LocalKeyProvider, secretColumns, type SecretColumn } from '../../db/crypto/index.js';
import { fromBase64Url } from '../../db/crypto/aead.js';
import { rotateKeys } from '../../db/crypto/rotation.js';
import { dbcryptKeys, mcpServerConfigs } from '../../db/schema.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { readSecrets } from '../support/secrets.js';

/** Written once by this version of the encryption layer; it must never be regenerated. */
const fixture = z
  .object({
    root_key: z.string(),
    dbcrypt_key: z.object({
      number: z.number(),
      active_key_digest: z.string(),
      encrypted_data_key: z.string(),
      kms_key_id: z.string(),
      test: z.string(),
    }),
    secrets: z.array(z.object({ table: z.string(), column: z.string(), row_id: z.string(), plaintext: z.string(), ciphertext: z.string() })),
  })
  .parse(JSON.parse(readFileSync(new URL('../fixtures/dbcrypt-v1.json', import.meta.url), 'utf8')));

let database: TestDatabase;
let keyring: Keyring;
beforeAll(async () => {
  database = await createTestDatabase();
  keyring = new Keyring(await LocalKeyProvider.create(fromBase64Url(fixture.root_key)));
  const key = fixture.dbcrypt_key;
  await database.db.insert(dbcryptKeys).values({
    number: key.number,
    activeKeyDigest: key.active_key_digest,
    encryptedDataKey: key.encrypted_data_key,
    kmsKeyId: key.kms_key_id,
    test: key.test,
  });
  const [apiKey, headers] = fixture.secrets;
  await database.db.insert(mcpServerConfigs).values({
    id: apiKey!.row_id,
    displayName: 'Fixture',
    slug: 'fixture',
    url: 'https://mcp.example.com/fixture',
    authType: 'api_key',
    apiKeyValue: apiKey!.ciphertext,
    apiKeyValueKeyId: key.active_key_digest,
    customHeaders: headers!.ciphertext,
    customHeadersKeyId: key.active_key_digest,
  });
});
afterAll(() => database.close());

function columnOf(table: string, column: string): SecretColumn {
  const found = Object.values(secretColumns).find((c) => c.table === table && c.column === column);
  if (!found) throw new Error(`${table}.${column} is not an encrypted column.`);
  return found;
}

describe('frozen dbcrypt fixture', () => {
  it('passes the key checks', async () => {
    expect(await keyring.verify(database.db)).toEqual({ keyNumbers: [fixture.dbcrypt_key.number] });
  });

  it.each(fixture.secrets)('decrypts $table.$column', async (secret) => {
    const plaintext = await keyring.decrypt(
      database.db,
      columnOf(secret.table, secret.column),
      secret.row_id,
      secret.ciphertext,
      fixture.dbcrypt_key.active_key_digest,
    );
    expect(plaintext).toBe(secret.plaintext);
  });

  it('still decrypts after rotation re-encrypts it', async () => {
    const report = await rotateKeys(database.db, keyring, { force: true, revokeGraceMs: 0 });
    expect(report).toMatchObject({ outcome: 'completed', rowsReencrypted: fixture.secrets.length, keysRevoked: 1 });
    const values = await readSecrets(database.db, keyring);
    for (const secret of fixture.secrets) {
      expect(values.get(`${secret.table}.${secret.column}/${secret.row_id}`)).toBe(secret.plaintext);
    }
  });
});
