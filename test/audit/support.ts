/** Reading `audit_logs` directly, for checks the API does not expose. */
import { asc, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { auditLogs, type AuditLogRow } from '../../db/schema.js';

/** Reads every entry, oldest first. */
export function auditRows(db: Database): Promise<AuditLogRow[]> {
  return db.select().from(auditLogs).orderBy(asc(auditLogs.time), asc(auditLogs.id));
}

/** Runs `run` and returns the entries it wrote. */
export async function newAuditRows(db: Database, run: () => Promise<unknown>): Promise<AuditLogRow[]> {
  const before = new Set((await auditRows(db)).map((row) => row.id));
  await run();
  return (await auditRows(db)).filter((row) => !before.has(row.id));
}

/** Reads the whole table as text, for scanning it for secrets. */
export async function auditTableDump(db: Database): Promise<string> {
  const result = await db.execute(sql`SELECT coalesce(string_agg(r::text, E'\n'), '') AS dump FROM audit_logs r`);
  const rows = (result as { rows?: { dump: string }[] }).rows ?? (result as unknown as { dump: string }[]);
  return rows[0]!.dump;
}
