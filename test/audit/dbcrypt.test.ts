import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../db/crypto/index.js';
import { acquireLease, releaseLease, rotationLeaseName } from '../../db/crypto/lease.js';
import { deleteAllSecrets } from '../../db/crypto/maintenance.js';
import { rotateKeys } from '../../db/crypto/rotation.js';
import { dbcryptKeys } from '../../db/schema.js';
import { runScheduledRotation } from '../../functions/scheduled.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { seedSecrets, type SecretValues } from '../support/secrets.js';
import { auditTableDump, newAuditRows } from './support.js';

let t: TestApp;
let seeded: SecretValues;
beforeAll(async () => {
  t = await createTestApp();
  seeded = await seedSecrets(t, 6, 'audit');
});
afterAll(() => t.close());

describe('audit of key maintenance', () => {
  it('records one entry per rotation run with its counts', async () => {
    const rows = await newAuditRows(t.database.db, () =>
      rotateKeys(t.database.db, new Keyring(t.provider), { force: true, batchSize: 2, revokeGraceMs: 0 }),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actorKind: 'system',
      actorSubject: 'rotation',
      actorId: null,
      action: 'dbcrypt.rotate',
      resourceType: 'dbcrypt_keys',
      resourceId: null,
      requestId: null,
      outcome: 'success',
      failureCode: null,
    });
    expect(rows[0]!.diff).toMatchObject({ outcome: 'completed', keys_created: 1, rows_reencrypted: seeded.size, keys_revoked: 1 });
  });

  it('records the scheduled run too', async () => {
    const rows = await newAuditRows(t.database.db, () => runScheduledRotation(t.runtime, { cron: '0 3 * * *', scheduledTime: Date.now() }));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'dbcrypt.rotate', actorSubject: 'rotation', outcome: 'success' });
  });

  it('records a failed run with its error code', async () => {
    const rows = await newAuditRows(t.database.db, async () => {
      const failing = rotateKeys(t.database.db, new Keyring(t.provider), {
        force: true,
        checkpoint: (step) => {
          if (step === 'key_created') throw new Error('injected failure');
        },
      });
      await expect(failing).rejects.toThrow('injected failure');
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'dbcrypt.rotate', outcome: 'failure', failureCode: 'rotation_failed' });
    expect(rows[0]!.diff).toMatchObject({ keys_created: 1 });
  });

  it('writes nothing for a run that found the lease taken', async () => {
    const lease = await acquireLease(t.database.db, rotationLeaseName, 'another-run', 60_000);
    try {
      const rows = await newAuditRows(t.database.db, async () => {
        expect((await rotateKeys(t.database.db, new Keyring(t.provider))).outcome).toBe('busy');
      });
      expect(rows).toEqual([]);
    } finally {
      await releaseLease(t.database.db, lease!);
    }
  });

  it('records delete-all in its transaction', async () => {
    const rows = await newAuditRows(t.database.db, () => deleteAllSecrets(t.database.db, 'audit-test'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'dbcrypt.delete_all', actorKind: 'system', actorSubject: 'cli', outcome: 'success' });
    expect(rows[0]!.diff).toMatchObject({ server_secrets_cleared: 6, tokens_deleted: 2 });
  });

  it('never stores a secret or key material', async () => {
    const dump = await auditTableDump(t.database.db);
    for (const value of seeded.values()) expect(dump).not.toContain(value);
    for (const key of await t.database.db.select().from(dbcryptKeys)) {
      for (const value of [key.encryptedDataKey, key.test, key.activeKeyDigest, key.revokedKeyDigest]) {
        if (value) expect(dump).not.toContain(value);
      }
    }
  });
});
