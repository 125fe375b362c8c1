/**
 * Leases in `dbcrypt_leases`: at most one holder per name, with an expiry taken from the
 * database clock so that holders on different machines agree on it. A holder that crashes
 * stops renewing, and its lease lapses at `expires_at`.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../database.js';
import { dbcryptLeases } from '../schema.js';

/** The lease that key rotation, re-wrapping and delete-all take. */
export const rotationLeaseName = 'dbcrypt_rotation';

export interface Lease {
  name: string;
  holder: string;
}

/**
 * Takes the lease when it is free or expired.
 * @returns the lease, or undefined when another holder owns it.
 */
export async function acquireLease(db: Database, name: string, holder: string, durationMs: number): Promise<Lease | undefined> {
  const expiresAt = sql`now() + ${durationMs} * interval '1 millisecond'`;
  const rows = await db
    .insert(dbcryptLeases)
    .values({ name, holder, expiresAt })
    .onConflictDoUpdate({
      target: dbcryptLeases.name,
      set: { holder, acquiredAt: sql`now()`, expiresAt },
      // An upsert that matches no row here leaves the current holder alone and returns nothing.
      setWhere: sql`${dbcryptLeases.expiresAt} < now()`,
    })
    .returning({ holder: dbcryptLeases.holder });
  return rows.length > 0 ? { name, holder } : undefined;
}

/**
 * Extends the lease by `durationMs` from now.
 * @returns false when the lease expired and another holder took it.
 */
export async function renewLease(db: Database, lease: Lease, durationMs: number): Promise<boolean> {
  const rows = await db
    .update(dbcryptLeases)
    .set({ expiresAt: sql`now() + ${durationMs} * interval '1 millisecond'` })
    .where(and(eq(dbcryptLeases.name, lease.name), eq(dbcryptLeases.holder, lease.holder)))
    .returning({ holder: dbcryptLeases.holder });
  return rows.length > 0;
}

/** Gives the lease back; a lease another holder has taken meanwhile stays theirs. */
export async function releaseLease(db: Database, lease: Lease): Promise<void> {
  await db
    .delete(dbcryptLeases)
    .where(and(eq(dbcryptLeases.name, lease.name), eq(dbcryptLeases.holder, lease.holder)));
}
