/**
 * Writing audit entries. A change and its entry share one transaction: callers pass the
 * transaction handle, so a rolled-back change leaves no entry and a failed entry rolls the
 * change back. Diffs carry plain settings as `{ old, new }` and secrets only as markers.
 */
import { sql } from 'drizzle-orm';
import type { Actor } from '../actor.js';
import type { Database } from '../database.js';
import { auditLogs, users } from '../schema.js';
import { upsertUser } from '../users.js';

/** What a request adds to every entry it causes. */
export interface AuditContext {
  /** The request id (`X-Request-Id`), or null outside a request (scheduled rotation, CLI). */
  requestId: string | null;
}

export const noRequest: AuditContext = { requestId: null };

/** Stands for a secret in a diff; the value itself is never recorded. */
export type SecretMarker = '<set>' | '<changed>' | '<removed>';

export interface AuditEntry {
  /** `<resource>.<verb>`, such as `mcp_server.update` or `dbcrypt.rotate`. */
  action: string;
  resourceType: string;
  resourceId: string | null;
  /** A stable code such as `oauth2_state_replayed` marks a failure; absent means success. */
  failureCode?: string;
  diff?: Record<string, unknown>;
}

/**
 * Inserts one entry with the caller's handle, normally a transaction that also makes the change.
 * The actor id is looked up in the same statement, so an entry for a user who has no row yet
 * keeps the subject and leaves the id null instead of breaking the foreign key.
 */
export async function writeAuditEntry(db: Database, actor: Actor | null, entry: AuditEntry, context: AuditContext): Promise<void> {
  await db.insert(auditLogs).values({
    ...actorColumns(actor),
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    requestId: context.requestId,
    outcome: entry.failureCode ? 'failure' : 'success',
    failureCode: entry.failureCode ?? null,
    diff: entry.diff ?? {},
  });
}

/**
 * Records an action that changes no other row, such as issuing an OAuth redirect or a
 * rejected callback: the user row and the entry in one transaction.
 */
export async function recordAuditEntry(db: Database, actor: Actor | null, entry: AuditEntry, context: AuditContext): Promise<void> {
  if (actor?.kind !== 'user') return writeAuditEntry(db, actor, entry, context);
  await db.transaction(async (tx) => {
    await upsertUser(tx, actor);
    await writeAuditEntry(tx, actor, entry, context);
  });
}

/** Returns the marker for a secret whose presence went from `before` to `after`; undefined when it was untouched. */
export function secretMarker(before: boolean, update: string | object | null | undefined): SecretMarker | undefined {
  if (update === undefined) return undefined;
  if (update === null) return before ? '<removed>' : undefined;
  return before ? '<changed>' : '<set>';
}

function actorColumns(actor: Actor | null) {
  if (!actor) return { actorId: null, actorKind: 'anonymous' as const, actorSubject: '' };
  if (actor.kind === 'system') return { actorId: null, actorKind: 'system' as const, actorSubject: actor.purpose };
  return {
    actorId: sql`(SELECT ${users.id} FROM ${users} WHERE ${users.id} = ${actor.userId})`,
    actorKind: 'user' as const,
    actorSubject: actor.subject,
  };
}
