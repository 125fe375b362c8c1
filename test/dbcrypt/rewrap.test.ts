import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../db/crypto/index.js';
import { rewrapDataKeys } from '../../db/crypto/rewrap.js';
import { rotateKeys } from '../../db/crypto/rotation.js';
import { secretColumnRefs } from '../../db/crypto/reencrypt.js';
import type { Database } from '../../db/database.js';
import { dbcryptKeys } from '../../db/schema.js';
import { runScheduledRotation } from '../../functions/scheduled.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { startTestKms, type TestKms } from '../support/kms.js';
import { readSecrets, seedSecrets, type SecretValues } from '../support/secrets.js';

let kms: TestKms;
let t: TestApp;
let seeded: SecretValues;
beforeAll(async () => {
  kms = await startTestKms();
  // The service starts on the local provider and moves to KMS below.
  t = await createTestApp();
  seeded = await seedSecrets(t, 6);
  await t.keyring.createKey(t.database.db);
});
afterAll(async () => {
  await t.close();
  await kms.close();
});

/** Reads every stored ciphertext, to show that re-wrapping leaves rows alone. */
async function ciphertexts(db: Database): Promise<string[]> {
  const values: string[] = [];
  for (const ref of secretColumnRefs) {
    const rows = (await db.select({ value: ref.value }).from(ref.table).orderBy(asc(ref.id))) as { value: string | null }[];
    values.push(...rows.map((row) => row.value ?? ''));
  }
  return values;
}

async function wrappingKeyIds(): Promise<string[]> {
  const rows = await t.database.db.select({ id: dbcryptKeys.kmsKeyId }).from(dbcryptKeys).orderBy(asc(dbcryptKeys.number));
  return rows.map((row) => row.id);
}

describe('rewrapDataKeys', () => {
  it('moves local keys to KMS without touching rows', async () => {
    const before = await ciphertexts(t.database.db);
    kms.emulator.resetCalls();

    const result = await rewrapDataKeys(t.database.db, kms.provider(), [t.provider]);

    expect(result).toEqual({ rewrapped: [1, 2], unreachable: [] });
    expect(kms.emulator.calls.Encrypt).toBe(2);
    expect(await wrappingKeyIds()).toEqual([kms.keyId, kms.keyId]);
    expect(await ciphertexts(t.database.db)).toEqual(before);
    expect(await readSecrets(t.database.db, new Keyring(kms.provider()))).toEqual(seeded);
  });

  it('reports keys that no configured provider can unwrap', async () => {
    const local = t.provider;
    const result = await rewrapDataKeys(t.database.db, local, []);
    expect(result).toEqual({ rewrapped: [], unreachable: [1, 2] });
  });

  it('is a no-op once every key is under the target', async () => {
    kms.emulator.resetCalls();
    expect(await rewrapDataKeys(t.database.db, kms.provider())).toEqual({ rewrapped: [], unreachable: [] });
    expect(kms.emulator.totalCalls()).toBe(0);
  });
});

describe('rotation on KMS', () => {
  it('re-wraps with ReEncrypt when the configured key changes', async () => {
    // Settle first: every row under key 2, and key 1 revoked.
    expect(await rotateKeys(t.database.db, new Keyring(kms.provider()), { revokeGraceMs: 0 })).toMatchObject({ keysRevoked: 1 });
    const next = kms.emulator.createKey('switchboard-next');
    const before = await ciphertexts(t.database.db);
    kms.emulator.resetCalls();

    const report = await rotateKeys(t.database.db, new Keyring(kms.provider('alias/switchboard-next')), { revokeGraceMs: 0 });

    expect(report).toMatchObject({ outcome: 'completed', keysRewrapped: 1, keysCreated: 0, rowsReencrypted: 0 });
    expect(kms.emulator.calls).toMatchObject({ ReEncrypt: 1, GenerateDataKey: 0, Encrypt: 0 });
    // The revoked key 1 keeps its old wrapping; nothing will unwrap it again.
    expect(await wrappingKeyIds()).toEqual([kms.keyId, 'alias/switchboard-next']);
    expect(await ciphertexts(t.database.db)).toEqual(before);
    expect(await readSecrets(t.database.db, new Keyring(kms.provider(next.arn)))).toEqual(seeded);
  });

  it('makes one KMS call per new key with a warm keyring', async () => {
    const keyring = new Keyring(kms.provider('alias/switchboard-next'));
    await keyring.verify(t.database.db);
    kms.emulator.resetCalls();

    const report = await rotateKeys(t.database.db, keyring, { force: true, revokeGraceMs: 0 });

    expect(report).toMatchObject({ outcome: 'completed', keysCreated: 1, rowsReencrypted: seeded.size, keysRevoked: 1 });
    expect(kms.emulator.calls).toMatchObject({ GenerateDataKey: 1, Decrypt: 0, ReEncrypt: 0, Encrypt: 0 });
    expect(await readSecrets(t.database.db, new Keyring(kms.provider('alias/switchboard-next')))).toEqual(seeded);
  });
});

describe('runScheduledRotation', () => {
  it('runs one pass and writes one log line with its figures', async () => {
    (t.runtime as { keyring: Keyring }).keyring = new Keyring(kms.provider('alias/switchboard-next'));
    const logsBefore = t.logs.length;

    const report = await runScheduledRotation(t.runtime, { cron: '17 * * * *', scheduledTime: Date.now() }, { force: true, revokeGraceMs: 0 });

    expect(report).toMatchObject({ outcome: 'completed', keysCreated: 1, rowsReencrypted: seeded.size, keysRevoked: 1 });
    const lines = t.logs.slice(logsBefore).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      event: 'key_rotation',
      cron: '17 * * * *',
      keys_created: 1,
      rows_reencrypted: seeded.size,
      rows_left: 0,
      keys_revoked: 1,
    });
    expect(typeof lines[0]!.duration_ms).toBe('number');
  });

  it('logs the KMS error code when KMS is down', async () => {
    (t.runtime as { keyring: Keyring }).keyring = new Keyring(kms.provider('alias/switchboard-next'));
    kms.emulator.fail({ name: 'ThrottlingException', status: 400 });
    const logsBefore = t.logs.length;
    try {
      await expect(runScheduledRotation(t.runtime, { cron: '17 * * * *', scheduledTime: Date.now() })).rejects.toThrow();
    } finally {
      kms.emulator.clearFailures();
    }
    const lines = t.logs.slice(logsBefore).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ event: 'key_rotation_failed', provider_code: 'ThrottlingException' })]);
  });
});
