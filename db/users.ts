/**
 * Users appear the first time a write needs them. Their id is a name-based UUID (RFC 9562,
 * version 5) of the token subject, so a request knows its user id without a lookup.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { UserActor } from './actor.js';
import type { Database } from './database.js';
import { users } from './schema.js';

/** Namespace of user ids; changing it would orphan every stored user. */
const userNamespace = 'f1d0b7a6-53c4-4c0e-9a55-3a2f7f0c9e11';

export async function userIdForSubject(subject: string): Promise<string> {
  const namespace = Uint8Array.from(userNamespace.replace(/-/g, '').match(/../g)!, (h) => parseInt(h, 16));
  const name = new TextEncoder().encode(subject);
  const input = new Uint8Array(namespace.length + name.length);
  input.set(namespace, 0);
  input.set(name, namespace.length);
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-1', input)).subarray(0, 16);
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Inserts the acting user or refreshes its profile from the token, in one statement. It runs
 * inside the caller's transaction, and only the user itself reaches it, so no further check
 * is needed.
 *
 * `ON CONFLICT (id) DO UPDATE` would not do, because its arbiter is only the primary key:
 * two transactions inserting the same new user at once would fail on `users_subject_unique`
 * instead of waiting. `ON CONFLICT DO NOTHING` covers every unique index, and the refresh of
 * an existing row is an UPDATE in a CTE of the same statement. When first writes race, the
 * row keeps the profile of the transaction that committed first.
 */
export async function upsertUser(db: Database, actor: UserActor): Promise<void> {
  const profile = { username: actor.username, email: actor.email, roles: actor.roles };
  const refreshed = db.$with('refreshed').as(
    db
      .update(users)
      .set({ ...profile, updatedAt: sql`now()` })
      .where(
        and(
          eq(users.id, actor.userId),
          sql`(${users.username}, ${users.email}, ${users.roles}) IS DISTINCT FROM (${sql.param(actor.username, users.username)}::text, ${sql.param(actor.email, users.email)}::text, ${sql.param(actor.roles, users.roles)}::text[])`,
        ),
      )
      .returning({ id: users.id }),
  );
  await db
    .with(refreshed)
    .insert(users)
    .values({ id: actor.userId, subject: actor.subject, ...profile })
    .onConflictDoNothing();
}
