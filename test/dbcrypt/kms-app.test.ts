import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KeyCheckError, Keyring } from '../../db/crypto/index.js';
import { dbcryptKeys, mcpServerConfigs } from '../../db/schema.js';
import { createTestApp, serverBody, type TestApp } from '../support/harness.js';
import { startTestKms, type TestKms } from '../support/kms.js';

let kms: TestKms;
let t: TestApp;
beforeAll(async () => {
  kms = await startTestKms();
  t = await createTestApp({ provider: kms.provider() });
});
afterAll(async () => {
  await t.close();
  await kms.close();
});
afterEach(() => kms.emulator.clearFailures());

const path = '/api/experimental/mcp/servers';

function apiKeyServer(slug: string, value: string) {
  return serverBody(slug, { auth_type: 'api_key', api_key_header: 'X-Api-Key', api_key_value: value });
}

describe('keyring on KMS', () => {
  it('makes no KMS call for 1,000 warm requests', async () => {
    const created = await t.request('POST', path, { body: apiKeyServer('warm-0', 'secret-0') });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(kms.emulator.calls.GenerateDataKey).toBe(1);
    kms.emulator.resetCalls();

    for (let i = 1; i <= 1000; i++) {
      const response =
        i % 2 === 0
          ? await t.request('PATCH', `${path}/${id}`, { body: { api_key_value: `secret-${i}` } })
          : await t.request('POST', path, { body: apiKeyServer(`warm-${i}`, `secret-${i}`) });
      expect(response.status).toBeLessThan(300);
    }

    expect(kms.emulator.totalCalls()).toBe(0);
  });

  it('unwraps each key once on a cold start', async () => {
    await t.keyring.createKey(t.database.db);
    const keys = await t.database.db.$count(dbcryptKeys);
    expect(keys).toBe(2);
    kms.emulator.resetCalls();

    const cold = new Keyring(kms.provider());
    await Promise.all([cold.verify(t.database.db), cold.encryptor(t.database.db), cold.verify(t.database.db)]);

    expect(kms.emulator.calls).toMatchObject({ Decrypt: keys, GenerateDataKey: 0 });
  });

  it('stops a start-up whose key was wrapped by an unknown KMS key', async () => {
    const other = kms.emulator.createKey();
    kms.emulator.setKeyEnabled(other.keyId, false);
    await t.database.db.update(dbcryptKeys).set({ kmsKeyId: other.keyId });
    try {
      const error = await new Keyring(kms.provider()).verify(t.database.db).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(KeyCheckError);
      expect((error as KeyCheckError).message).toMatch(/data key \d+ failed with (IncorrectKeyException|DisabledException)/);
      expect((error as KeyCheckError).message).toContain('delete-all');
    } finally {
      await t.database.db.update(dbcryptKeys).set({ kmsKeyId: kms.keyId });
    }
  });

  it('stops a start-up whose key fails its canary', async () => {
    const [key] = await t.database.db.select().from(dbcryptKeys).limit(1);
    const other = (await t.database.db.select().from(dbcryptKeys)).find((row) => row.number !== key!.number)!;
    await t.database.db.update(dbcryptKeys).set({ test: other.test }).where(eqNumber(key!.number));
    try {
      const error = await new Keyring(kms.provider()).verify(t.database.db).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(KeyCheckError);
      expect((error as KeyCheckError).keyNumber).toBe(key!.number);
      expect((error as KeyCheckError).message).toContain(`Data key ${key!.number} fails its test value`);
    } finally {
      await t.database.db.update(dbcryptKeys).set({ test: key!.test }).where(eqNumber(key!.number));
    }
  });

  it('answers 503 with Retry-After during a KMS outage and writes nothing', async () => {
    const warm = t.runtime.keyring;
    // A keyring that has not unwrapped the stored keys yet, as in a fresh process.
    (t.runtime as { keyring: Keyring }).keyring = new Keyring(kms.provider());
    const serversBefore = await t.database.db.$count(mcpServerConfigs);
    const logsBefore = t.logs.length;
    kms.emulator.fail({ name: 'KMSInternalException', status: 500 });
    try {
      const response = await t.request('POST', path, { body: apiKeyServer('during-outage', 'outage-secret') });

      expect(response.status).toBe(503);
      expect(response.headers.get('Retry-After')).toBe('5');
      expect(await response.json()).toMatchObject({ code: 'key_unavailable' });
      expect(await t.database.db.$count(mcpServerConfigs)).toBe(serversBefore);
      const logs = t.logs.slice(logsBefore);
      const logLine = logs.find((line) => line.includes('key_provider_unavailable'));
      expect(JSON.parse(logLine!)).toMatchObject({ provider_code: 'KMSInternalException' });
      const wrappedKeys = (await t.database.db.select().from(dbcryptKeys)).map((row) => row.encryptedDataKey);
      for (const line of logs) {
        for (const wrapped of wrappedKeys) expect(line).not.toContain(wrapped);
        expect(line).not.toContain('outage-secret');
      }

      kms.emulator.clearFailures();
      const retried = await t.request('POST', path, { body: apiKeyServer('during-outage', 'outage-secret') });
      expect(retried.status).toBe(201);
    } finally {
      (t.runtime as { keyring: Keyring }).keyring = warm;
    }
  });

  it('answers 503 with Retry-After while KMS stalls and writes nothing', async () => {
    const warm = t.runtime.keyring;
    (t.runtime as { keyring: Keyring }).keyring = new Keyring(kms.provider());
    const serversBefore = await t.database.db.$count(mcpServerConfigs);
    const release = kms.emulator.stall();
    try {
      const response = await t.request('POST', path, { body: apiKeyServer('during-stall', 'stall-secret') });

      expect(response.status).toBe(503);
      expect(response.headers.get('Retry-After')).toBe('5');
      expect(await response.json()).toMatchObject({ code: 'key_unavailable' });
      expect(await t.database.db.$count(mcpServerConfigs)).toBe(serversBefore);
    } finally {
      release();
      (t.runtime as { keyring: Keyring }).keyring = warm;
    }
  });
});

function eqNumber(number: number) {
  return eq(dbcryptKeys.number, number);
}
