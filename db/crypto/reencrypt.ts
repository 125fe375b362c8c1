/**
 * Re-encryption of stored secrets under the newest data key, one column and one batch at a
 * time. A batch is a single `UPDATE … FROM (VALUES …)` statement, so it commits or rolls
 * back as a whole, and each row is written only while it still holds the ciphertext and key
 * id that were read: a concurrent API edit wins, and the row is picked up again next run.
 */
import { and, asc, count, getTableColumns, gt, isNotNull, ne, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../database.js';
import { mcpServerConfigs, mcpServerUserTokens } from '../schema.js';
import { secretColumns, type SecretColumn } from './columns.js';
import { DecryptionError, type Encryptor, type Keyring } from './keyring.js';

const tables: Record<SecretColumn['table'], PgTable> = {
  mcp_server_configs: mcpServerConfigs,
  mcp_server_user_tokens: mcpServerUserTokens,
};

/** The drizzle columns behind one entry of `secretColumns`. */
export interface SecretColumnRef {
  secret: SecretColumn;
  table: PgTable;
  id: PgColumn;
  value: PgColumn;
  keyId: PgColumn;
}

/** Every encrypted column, resolved against the schema. */
export const secretColumnRefs: SecretColumnRef[] = Object.values(secretColumns).map((secret) => {
  const table = tables[secret.table];
  const columns = Object.values(getTableColumns(table));
  const byName = (name: string) => {
    const column = columns.find((c) => c.name === name);
    if (!column) throw new Error(`${secret.table}.${name} is not in the schema.`);
    return column;
  };
  return { secret, table, id: byName('id'), value: byName(secret.column), keyId: byName(secret.keyIdColumn) };
});

export interface BatchResult {
  /** Rows written under the target key. */
  written: number;
  /** Rows changed by someone else between read and write, or whose value does not decrypt. */
  skipped: number;
  /** The last row id read; the next batch starts after it. Undefined when no row was left. */
  cursor: string | undefined;
}

/** Reads the next batch of rows of `ref` not under `encryptor.keyId` and re-encrypts them. */
export async function reencryptBatch(
  db: Database,
  keyring: Keyring,
  encryptor: Encryptor,
  ref: SecretColumnRef,
  options: { after?: string; batchSize: number; beforeWrite?: () => Promise<void> },
): Promise<BatchResult> {
  const rows = await db
    .select({ id: ref.id, value: ref.value, keyId: ref.keyId })
    .from(ref.table)
    .where(and(isNotNull(ref.keyId), ne(ref.keyId, encryptor.keyId), options.after ? gt(ref.id, options.after) : undefined))
    .orderBy(asc(ref.id))
    .limit(options.batchSize);
  if (rows.length === 0) return { written: 0, skipped: 0, cursor: undefined };

  const updates: SQL[] = [];
  let undecryptable = 0;
  for (const row of rows as { id: string; value: string; keyId: string }[]) {
    let plaintext: string;
    try {
      plaintext = await keyring.decrypt(db, ref.secret, row.id, row.value, row.keyId);
    } catch (error) {
      // A value that does not decrypt stays as it is; re-encrypting it would need its plaintext.
      if (!(error instanceof DecryptionError)) throw error;
      undecryptable++;
      continue;
    }
    const value = await encryptor.encrypt(ref.secret, row.id, plaintext);
    updates.push(sql`(${row.id}::uuid, ${row.value}, ${row.keyId}, ${value})`);
  }
  const cursor = (rows[rows.length - 1] as { id: string }).id;
  await options.beforeWrite?.();
  if (updates.length === 0) return { written: 0, skipped: undecryptable, cursor };

  const table = sql.identifier(ref.secret.table);
  const value = sql.identifier(ref.secret.column);
  const keyId = sql.identifier(ref.secret.keyIdColumn);
  const result = await db.execute(sql`
    UPDATE ${table} SET ${value} = batch.new_value, ${keyId} = ${encryptor.keyId}
    FROM (VALUES ${sql.join(updates, sql`, `)}) AS batch(id, old_value, old_key_id, new_value)
    WHERE ${table}.id = batch.id AND ${table}.${value} = batch.old_value AND ${table}.${keyId} = batch.old_key_id
    RETURNING ${table}.id`);
  const written = rowsOf(result).length;
  return { written, skipped: undecryptable + updates.length - written, cursor };
}

/** Counts rows of every encrypted column not under `keyId`. */
export async function countRowsNotUnder(db: Database, keyId: string): Promise<number> {
  let total = 0;
  for (const ref of secretColumnRefs) {
    const [row] = await db
      .select({ rows: count() })
      .from(ref.table)
      .where(and(isNotNull(ref.keyId), ne(ref.keyId, keyId)));
    total += Number(row?.rows ?? 0);
  }
  return total;
}

/** Counts rows per key digest across every encrypted column. */
export async function countRowsPerKey(db: Database): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const ref of secretColumnRefs) {
    const rows = await db
      .select({ keyId: ref.keyId, rows: count() })
      .from(ref.table)
      .where(isNotNull(ref.keyId))
      .groupBy(ref.keyId);
    for (const row of rows as { keyId: string; rows: number }[]) {
      counts.set(row.keyId, (counts.get(row.keyId) ?? 0) + Number(row.rows));
    }
  }
  return counts;
}

/** The rows of a raw statement; every driver here returns them as `rows`. */
function rowsOf(result: unknown): unknown[] {
  const rows = (result as { rows?: unknown[] }).rows;
  return Array.isArray(rows) ? rows : [];
}
