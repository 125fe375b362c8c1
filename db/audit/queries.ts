/**
 * Reading the audit log: admins only, newest first, filtered and paged by keyset on
 * `(time, id)` so a page costs one indexed query however deep it is.
 */
import { and, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm';
import { assertPrivileged, type Actor } from '../actor.js';
import type { Database } from '../database.js';
import { auditLogs, type AuditLogRow } from '../schema.js';

const t = auditLogs;

/** Position after which a page starts: the `time` and `id` of the previous page's last entry. */
export interface AuditLogPosition {
  time: Date;
  id: string;
}

export interface AuditLogFilter {
  resourceType?: string;
  resourceId?: string;
  actorId?: string;
  action?: string;
  /** Inclusive lower bound of `time`. */
  since?: Date;
  /** Inclusive upper bound of `time`. */
  until?: Date;
  after?: AuditLogPosition;
  limit: number;
}

export interface AuditLogPage {
  entries: AuditLogRow[];
  /** Start of the next page; undefined on the last page. */
  next: AuditLogPosition | undefined;
}

/**
 * Lists one page of entries matching every filter given, newest first. It reads one row
 * beyond `limit` to learn whether another page exists.
 * @throws AccessDeniedError for members.
 */
export async function listAuditLogs(db: Database, actor: Actor, filter: AuditLogFilter): Promise<AuditLogPage> {
  assertPrivileged(actor);
  const conditions: (SQL | undefined)[] = [
    filter.resourceType !== undefined ? eq(t.resourceType, filter.resourceType) : undefined,
    filter.resourceId !== undefined ? eq(t.resourceId, filter.resourceId) : undefined,
    filter.actorId !== undefined ? eq(t.actorId, filter.actorId) : undefined,
    filter.action !== undefined ? eq(t.action, filter.action) : undefined,
    filter.since ? gte(t.time, filter.since) : undefined,
    filter.until ? lte(t.time, filter.until) : undefined,
    // A row comparison matches the `(time DESC, id DESC)` index order exactly.
    filter.after ? sql`(${t.time}, ${t.id}) < (${filter.after.time.toISOString()}::timestamptz, ${filter.after.id}::uuid)` : undefined,
  ];
  const rows = await db
    .select()
    .from(t)
    .where(and(...conditions))
    .orderBy(desc(t.time), desc(t.id))
    .limit(filter.limit + 1);

  const entries = rows.slice(0, filter.limit);
  const last = entries.at(-1);
  return { entries, next: rows.length > filter.limit && last ? { time: new Date(last.time), id: last.id } : undefined };
}
