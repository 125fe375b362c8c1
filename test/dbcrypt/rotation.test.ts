import { asc, eq, isNotNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../db/crypto/index.js';
import { rotationLeaseName } from '../../db/crypto/lease.js';
import { rotateKeys, type RotationOptions, type RotationStep } from '../../db/crypto/rotation.js';
import { dbcryptKeys, dbcryptLeases, mcpServerConfigs } from '../../db/schema.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { keyUsage, readSecrets, seedSecrets, type SecretValues } from '../support/secrets.js';

let t: TestApp;
let seeded: SecretValues;
beforeAll(async () => {
  t = await createTestApp();
  seeded = await seedSecrets(t, 12);
});
afterAll(() => t.close());

/** Creates a keyring as another process (the CLI or the cron trigger) would. */
function otherProcess(): Keyring {
  return new Keyring(t.provider);
}

const quick: RotationOptions = { batchSize: 4, revokeGraceMs: 0 };

async function activeKeys(): Promise<{ number: number; digest: string }[]> {
  const rows = await t.database.db
    .select({ number: dbcryptKeys.number, digest: dbcryptKeys.activeKeyDigest })
    .from(dbcryptKeys)
    .where(isNotNull(dbcryptKeys.activeKeyDigest))
    .orderBy(asc(dbcryptKeys.number));
  return rows.map((row) => ({ number: row.number, digest: row.digest! }));
}

/** Asserts that every secret decrypts to its expected value under the one active key. */
async function expectSettled(expected: SecretValues): Promise<void> {
  expect(await readSecrets(t.database.db, otherProcess())).toEqual(expected);
  const keys = await activeKeys();
  expect(keys).toHaveLength(1);
  expect([...(await keyUsage(t.database.db)).keys()]).toEqual([keys[0]!.digest]);
}

describe('rotateKeys', () => {
  it('moves every secret to a new key and revokes the old one', async () => {
    const [before] = await activeKeys();
    const report = await rotateKeys(t.database.db, otherProcess(), { ...quick, force: true });

    expect(report).toMatchObject({ outcome: 'completed', keysCreated: 1, rowsReencrypted: seeded.size, rowsLeft: 0, keysRevoked: 1 });
    await expectSettled(seeded);
    const [revoked] = await t.database.db.select().from(dbcryptKeys).where(eq(dbcryptKeys.number, before!.number));
    expect(revoked).toMatchObject({ activeKeyDigest: null, revokedKeyDigest: before!.digest });
    expect(revoked!.revokedAt).toBeInstanceOf(Date);
  });

  it('does nothing while the newest key is younger than the policy', async () => {
    const report = await rotateKeys(t.database.db, otherProcess(), { ...quick, rotationDays: 30 });
    expect(report).toMatchObject({ outcome: 'completed', keysCreated: 0, rowsReencrypted: 0, keysRevoked: 0 });
  });

  it('creates a key once the newest is older than the policy', async () => {
    const report = await rotateKeys(t.database.db, otherProcess(), { ...quick, rotationDays: 1e-9 });
    expect(report).toMatchObject({ outcome: 'completed', keysCreated: 1, rowsReencrypted: seeded.size });
    await expectSettled(seeded);
  });

  const interruptions: { step: RotationStep; occurrence: number }[] = [
    { step: 'rewrapped', occurrence: 1 },
    { step: 'key_created', occurrence: 1 },
    { step: 'batch_read', occurrence: 1 },
    { step: 'batch_written', occurrence: 1 },
    { step: 'batch_read', occurrence: 3 },
    { step: 'batch_written', occurrence: 3 },
    { step: 'reencrypted', occurrence: 1 },
    { step: 'revoked', occurrence: 1 },
  ];

  it.each(interruptions)('resumes after a failure at $step #$occurrence', async ({ step, occurrence }) => {
    let seen = 0;
    const failing = rotateKeys(t.database.db, otherProcess(), {
      ...quick,
      force: true,
      checkpoint: (reached) => {
        if (reached === step && ++seen === occurrence) throw new Error(`injected failure at ${step}`);
      },
    });
    await expect(failing).rejects.toThrow(`injected failure at ${step}`);
    expect(await t.database.db.$count(dbcryptLeases)).toBe(0);
    expect(await readSecrets(t.database.db, otherProcess())).toEqual(seeded);

    const resumed = await rotateKeys(t.database.db, otherProcess(), quick);

    expect(resumed.outcome).toBe('completed');
    await expectSettled(seeded);
  });

  it('lets one of two simultaneous runs work and the other exit', async () => {
    const reports = await Promise.all([
      rotateKeys(t.database.db, otherProcess(), { ...quick, force: true }),
      rotateKeys(t.database.db, otherProcess(), { ...quick, force: true }),
    ]);

    expect(reports.map((report) => report.outcome).sort()).toEqual(['busy', 'completed']);
    expect(reports.find((report) => report.outcome === 'busy')).toMatchObject({ keysCreated: 0, rowsReencrypted: 0 });
    await expectSettled(seeded);
  });

  it('waits for a live lease and takes over an expired one', async () => {
    const db = t.database.db;
    await db.insert(dbcryptLeases).values({ name: rotationLeaseName, holder: 'crashed-run', expiresAt: new Date(Date.now() + 60_000) });
    expect((await rotateKeys(db, otherProcess(), { ...quick, force: true })).outcome).toBe('busy');

    await db.update(dbcryptLeases).set({ expiresAt: new Date(Date.now() - 1_000) });
    expect((await rotateKeys(db, otherProcess(), { ...quick, force: true })).outcome).toBe('completed');
    expect(await db.$count(dbcryptLeases)).toBe(0);
    await expectSettled(seeded);
  });

  it('stops when another run took over its lease', async () => {
    const db = t.database.db;
    const report = await rotateKeys(db, otherProcess(), {
      ...quick,
      force: true,
      // As if this run had stalled past its lease and another run had taken it.
      checkpoint: async (step) => {
        if (step === 'batch_written') await db.update(dbcryptLeases).set({ holder: 'newer-run' });
      },
    });
    expect(report.outcome).toBe('incomplete');
    expect(report.rowsLeft).toBeGreaterThan(0);
    expect(report.keysRevoked).toBe(0);
    expect(await db.select({ holder: dbcryptLeases.holder }).from(dbcryptLeases)).toEqual([{ holder: 'newer-run' }]);

    await db.delete(dbcryptLeases);
    expect((await rotateKeys(db, otherProcess(), quick)).outcome).toBe('completed');
    await expectSettled(seeded);
  });

  it('keeps a value the API wrote during the run', async () => {
    // Earlier cases revoked keys that the app's key list still names.
    t.keyring.forgetKeyList();
    const [target] = await t.database.db
      .select({ id: mcpServerConfigs.id })
      .from(mcpServerConfigs)
      .where(isNotNull(mcpServerConfigs.oauth2ClientSecret))
      .orderBy(asc(mcpServerConfigs.id))
      .limit(1);
    let edited = false;
    const report = await rotateKeys(t.database.db, otherProcess(), {
      ...quick,
      force: true,
      // The first batch read is of oauth2_client_secret, the first encrypted column, from the lowest id.
      checkpoint: async (step) => {
        if (step !== 'batch_read' || edited) return;
        edited = true;
        const response = await t.request('PATCH', `/api/experimental/mcp/servers/${target!.id}`, { body: { oauth2_client_secret: 'newer-value' } });
        expect(response.status).toBe(200);
      },
    });
    expect(edited).toBe(true);
    expect(report.rowsSkipped).toBeGreaterThanOrEqual(1);

    const expected = new Map(seeded);
    expected.set(`mcp_server_configs.oauth2_client_secret/${target!.id}`, 'newer-value');
    expect(await readSecrets(t.database.db, otherProcess())).toEqual(expected);
    await rotateKeys(t.database.db, otherProcess(), quick);
    await expectSettled(expected);
    seeded = expected;
  });

  it('answers 503 to a writer whose cached key was revoked, then succeeds', async () => {
    const [server] = await t.database.db.select({ id: mcpServerConfigs.id }).from(mcpServerConfigs).where(isNotNull(mcpServerConfigs.apiKeyValue)).limit(1);
    const path = `/api/experimental/mcp/servers/${server!.id}`;
    // The app caches the current key list.
    expect((await t.request('PATCH', path, { body: { api_key_value: 'cached-key' } })).status).toBe(200);
    await rotateKeys(t.database.db, otherProcess(), { ...quick, force: true });

    const refused = await t.request('PATCH', path, { body: { api_key_value: 'after-revocation' } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('Retry-After')).toBe('1');
    expect(await refused.json()).toMatchObject({ code: 'key_rotated' });

    const retried = await t.request('PATCH', path, { body: { api_key_value: 'after-revocation' } });
    expect(retried.status).toBe(200);
    const expected = new Map(seeded);
    expected.set(`mcp_server_configs.api_key_value/${server!.id}`, 'after-revocation');
    await expectSettled(expected);
    seeded = expected;
  });

  it('keeps older keys through the grace period that covers cached key lists', async () => {
    await rotateKeys(t.database.db, otherProcess(), quick);
    expect(await activeKeys()).toHaveLength(1);
    const report = await rotateKeys(t.database.db, otherProcess(), { batchSize: 4, force: true });
    expect(report).toMatchObject({ outcome: 'incomplete', keysCreated: 1, rowsLeft: 0, keysRevoked: 0, keysPendingRevocation: 1 });

    const later = await rotateKeys(t.database.db, otherProcess(), quick);
    expect(later).toMatchObject({ outcome: 'completed', keysRevoked: 1 });
    await expectSettled(seeded);
  });

  it('stops at the time budget and finishes in the next run', async () => {
    const [previous] = await activeKeys();
    let clock = 0;
    const report = await rotateKeys(t.database.db, otherProcess(), {
      ...quick,
      force: true,
      timeBudgetMs: 2,
      now: () => clock++,
    });
    expect(report.outcome).toBe('incomplete');
    expect(report.rowsLeft).toBeGreaterThan(0);
    expect((await activeKeys()).map((key) => key.number)).toContain(previous!.number);

    const resumed = await rotateKeys(t.database.db, otherProcess(), quick);
    expect(resumed).toMatchObject({ outcome: 'completed', rowsLeft: 0, keysRevoked: 1 });
    expect(resumed.rowsReencrypted).toBe(report.rowsLeft);
    await expectSettled(seeded);
  });
});
