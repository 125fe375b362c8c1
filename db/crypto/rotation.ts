/**
 * Online key rotation, run by the scheduled handler and by `npm run dbcrypt -- rotate`
 * while the service keeps serving. One run:
 *
 * 1. takes the rotation lease, so two runs never overlap (a crashed run's lease expires);
 * 2. re-wraps stored data keys whose wrapping key differs from the configured one;
 * 3. creates a data key when the newest is older than `rotationDays`, or when forced;
 * 4. re-encrypts rows under older keys in batches until the time budget is spent;
 * 5. revokes each older key that no row uses any more.
 *
 * Every step is safe to repeat, so a run that stops anywhere is finished by the next one.
 *
 * A revoked key is gone for writers too: a process whose cached key list still names it
 * would have its insert refused by the foreign keys. So a key is revoked only once its
 * successor is older than `revokeGraceMs`, by default longer than the keyring caches the
 * key list, by which time every process encrypts under the successor.
 */
import { and, desc, eq, isNotNull, sql } from 'drizzle-orm';
import { systemActor, type SystemActor } from '../actor.js';
import { noRequest, writeAuditEntry, type AuditContext } from '../audit/entries.js';
import type { Database } from '../database.js';
import { constraintViolationOf } from '../errors.js';
import { dbcryptKeys } from '../schema.js';
import type { KeyProvider } from './key-provider.js';
import type { Keyring } from './keyring.js';
import { acquireLease, releaseLease, renewLease, rotationLeaseName } from './lease.js';
import { countRowsNotUnder, countRowsPerKey, reencryptBatch, secretColumnRefs } from './reencrypt.js';
import { rewrapDataKeys } from './rewrap.js';

/** Default age after which rotation creates a new data key. */
export const defaultRotationDays = 30;

/** Points between steps where tests inject failures. */
export type RotationStep = 'rewrapped' | 'key_created' | 'batch_read' | 'batch_written' | 'reencrypted' | 'revoked';

export interface RotationOptions {
  /** Creates a new data key even when the newest is younger than `rotationDays`. */
  force?: boolean;
  rotationDays?: number;
  /** Rows per batch transaction. Default 500. */
  batchSize?: number;
  /** Milliseconds after which no new batch starts; the next run resumes. Default 20,000. */
  timeBudgetMs?: number;
  /** Minimum age of the newest key before older ones are revoked. Default: the keyring's cache lifetime plus a minute. */
  revokeGraceMs?: number;
  /** Names this run in the lease table. */
  holder?: string;
  /**
   * Lifetime of the lease from its last renewal, in milliseconds. Default 120,000. The run
   * renews it before re-encrypting and after every batch, so a crashed run blocks the next
   * one for at most this long.
   */
  leaseMs?: number;
  /** Providers that can unwrap data keys the keyring's provider cannot, for moving between providers. */
  rewrapSources?: KeyProvider[];
  now?: () => number;
  onProgress?: (progress: RotationProgress) => void;
  checkpoint?: (step: RotationStep) => void | Promise<void>;
  /** Who runs the pass, for its audit entry. Default: the system, purpose `rotation`. */
  actor?: SystemActor;
  audit?: AuditContext;
}

export interface RotationProgress {
  rowsReencrypted: number;
  /** Rows under older keys when re-encryption started. */
  rowsTotal: number;
}

export interface RotationReport {
  /** `busy`: another run holds the lease. `incomplete`: rows or keys are left for the next run. */
  outcome: 'completed' | 'incomplete' | 'busy';
  keysCreated: number;
  keysRewrapped: number;
  rowsReencrypted: number;
  /** Rows edited concurrently or not decryptable; the next run looks at them again. */
  rowsSkipped: number;
  rowsLeft: number;
  keysRevoked: number;
  /** Active keys older than the newest, still in use or within the grace period. */
  keysPendingRevocation: number;
  durationMs: number;
}

/**
 * Runs one rotation pass.
 * @throws KeyUnavailableError, KeyCheckError or KeyProviderError when keys cannot be used;
 * the lease is released and the next run starts over from the stored state.
 */
export async function rotateKeys(db: Database, keyring: Keyring, options: RotationOptions = {}): Promise<RotationReport> {
  const now = options.now ?? Date.now;
  const started = now();
  const timeBudgetMs = options.timeBudgetMs ?? 20_000;
  const leaseMs = options.leaseMs ?? 120_000;
  const report: RotationReport = {
    outcome: 'completed',
    keysCreated: 0,
    keysRewrapped: 0,
    rowsReencrypted: 0,
    rowsSkipped: 0,
    rowsLeft: 0,
    keysRevoked: 0,
    keysPendingRevocation: 0,
    durationMs: 0,
  };
  const checkpoint = async (step: RotationStep) => options.checkpoint?.(step);

  const lease = await acquireLease(db, rotationLeaseName, options.holder ?? `rotation-${crypto.randomUUID()}`, leaseMs);
  if (!lease) return { ...report, outcome: 'busy', durationMs: now() - started };

  let failureCode: string | undefined;
  try {
    const rewrap = await rewrapDataKeys(db, keyring.provider, options.rewrapSources);
    report.keysRewrapped = rewrap.rewrapped.length;
    if (rewrap.unreachable.length > 0) report.outcome = 'incomplete';
    await checkpoint('rewrapped');

    // Another process may have created a key since this keyring last read the table.
    await keyring.verify(db);
    const newest = await newestKey(db);
    if (!newest && !options.force) return report;
    if (options.force || newest!.ageMs > (options.rotationDays ?? defaultRotationDays) * 86_400_000) {
      await keyring.createKey(db);
      report.keysCreated = 1;
      await checkpoint('key_created');
    }
    const encryptor = await keyring.encryptor(db);
    let leaseLost = !(await renewLease(db, lease, leaseMs));

    const progress: RotationProgress = { rowsReencrypted: 0, rowsTotal: await countRowsNotUnder(db, encryptor.keyId) };
    options.onProgress?.(progress);
    columns: for (const ref of leaseLost ? [] : secretColumnRefs) {
      let cursor: string | undefined;
      do {
        if (now() - started >= timeBudgetMs) break columns;
        const batch = await reencryptBatch(db, keyring, encryptor, ref, {
          batchSize: options.batchSize ?? 500,
          beforeWrite: () => checkpoint('batch_read'),
          ...(cursor ? { after: cursor } : {}),
        });
        cursor = batch.cursor;
        report.rowsReencrypted += batch.written;
        report.rowsSkipped += batch.skipped;
        progress.rowsReencrypted = report.rowsReencrypted;
        options.onProgress?.(progress);
        if (!cursor) break;
        await checkpoint('batch_written');
        leaseLost = !(await renewLease(db, lease, leaseMs));
        if (leaseLost) break columns;
      } while (cursor);
    }
    await checkpoint('reencrypted');

    // A lost lease means this run overran it and another run may have taken over.
    if (leaseLost) {
      report.outcome = 'incomplete';
      report.rowsLeft = await countRowsNotUnder(db, encryptor.keyId);
      return report;
    }
    report.keysRevoked = await revokeUnusedKeys(db, encryptor.keyId, options.revokeGraceMs ?? keyring.cacheTtlMs + 60_000);
    await checkpoint('revoked');

    report.rowsLeft = await countRowsNotUnder(db, encryptor.keyId);
    report.keysPendingRevocation = (await db.$count(dbcryptKeys, isNotNull(dbcryptKeys.activeKeyDigest))) - 1;
    if (report.rowsLeft > 0 || report.keysPendingRevocation > 0) report.outcome = 'incomplete';
    return report;
  } catch (error) {
    failureCode = error instanceof Error && 'code' in error && typeof error.code === 'string' && /^[a-z_]+$/.test(error.code) ? error.code : 'rotation_failed';
    throw error;
  } finally {
    report.durationMs = now() - started;
    // One entry per run that held the lease; each batch already committed, so the counts are what this run did.
    try {
      await writeAuditEntry(
        db,
        options.actor ?? systemActor('rotation'),
        { action: 'dbcrypt.rotate', resourceType: 'dbcrypt_keys', resourceId: null, ...(failureCode ? { failureCode } : {}), diff: rotationLogFields(report) },
        options.audit ?? noRequest,
      );
    } finally {
      await releaseLease(db, lease);
    }
  }
}

/** The fields of the one log line a rotation run writes. */
export function rotationLogFields(report: RotationReport): Record<string, unknown> {
  return {
    outcome: report.outcome,
    keys_created: report.keysCreated,
    keys_rewrapped: report.keysRewrapped,
    rows_reencrypted: report.rowsReencrypted,
    rows_skipped: report.rowsSkipped,
    rows_left: report.rowsLeft,
    keys_revoked: report.keysRevoked,
    keys_pending_revocation: report.keysPendingRevocation,
    duration_ms: report.durationMs,
  };
}

async function newestKey(db: Database): Promise<{ number: number; ageMs: number } | undefined> {
  const [row] = await db
    .select({
      number: dbcryptKeys.number,
      ageMs: sql<number>`extract(epoch from now() - ${dbcryptKeys.createdAt}) * 1000`.mapWith(Number),
    })
    .from(dbcryptKeys)
    .where(isNotNull(dbcryptKeys.activeKeyDigest))
    .orderBy(desc(dbcryptKeys.number))
    .limit(1);
  return row;
}

/**
 * Revokes every active key other than `currentKeyId` that no row uses, once the current key
 * is older than `graceMs`. The foreign keys reject revoking a key that a row still uses,
 * including a row written since the count, and such a key waits for the next run.
 */
async function revokeUnusedKeys(db: Database, currentKeyId: string, graceMs: number): Promise<number> {
  const [current] = await db
    .select({ number: dbcryptKeys.number, ageMs: sql<number>`extract(epoch from now() - ${dbcryptKeys.createdAt}) * 1000`.mapWith(Number) })
    .from(dbcryptKeys)
    .where(eq(dbcryptKeys.activeKeyDigest, currentKeyId));
  if (!current || current.ageMs < graceMs) return 0;

  const rowsPerKey = await countRowsPerKey(db);
  const older = await db
    .select({ number: dbcryptKeys.number, digest: dbcryptKeys.activeKeyDigest })
    .from(dbcryptKeys)
    .where(and(isNotNull(dbcryptKeys.activeKeyDigest), sql`${dbcryptKeys.number} < ${current.number}`));
  let revoked = 0;
  for (const key of older) {
    if ((rowsPerKey.get(key.digest!) ?? 0) > 0) continue;
    try {
      const rows = await db
        .update(dbcryptKeys)
        .set({ activeKeyDigest: null, revokedKeyDigest: key.digest, revokedAt: sql`now()` })
        .where(and(eq(dbcryptKeys.number, key.number), eq(dbcryptKeys.activeKeyDigest, key.digest!)))
        .returning({ number: dbcryptKeys.number });
      revoked += rows.length;
    } catch (error) {
      if (constraintViolationOf(error)?.kind !== 'foreign_key') throw error;
    }
  }
  return revoked;
}
