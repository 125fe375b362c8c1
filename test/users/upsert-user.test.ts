import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserActor } from '../../db/actor.js';
import { users } from '../../db/schema.js';
import { upsertUser, userIdForSubject } from '../../db/users.js';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

async function actorFor(subject: string, profile: Partial<UserActor> = {}): Promise<UserActor> {
  return {
    kind: 'user',
    userId: await userIdForSubject(subject),
    subject,
    username: subject,
    email: null,
    roles: ['admin'],
    isAdmin: true,
    ...profile,
  };
}

async function storedUser(actor: UserActor) {
  const [row] = await database.db
    .select({
      subject: users.subject,
      username: users.username,
      email: users.email,
      roles: users.roles,
      // Compared in SQL, because timestamps carry microseconds that a JavaScript Date drops.
      refreshed: sql<boolean>`${users.updatedAt} > ${users.createdAt}`,
    })
    .from(users)
    .where(eq(users.id, actor.userId));
  return row;
}

describe('upsertUser', () => {
  it('inserts a new user', async () => {
    const actor = await actorFor('new-user', { email: 'new@example.com', roles: ['admin', 'viewer'] });

    await database.db.transaction((tx) => upsertUser(tx, actor));

    expect(await storedUser(actor)).toMatchObject({
      subject: 'new-user',
      username: 'new-user',
      email: 'new@example.com',
      roles: ['admin', 'viewer'],
      refreshed: false,
    });
  });

  it('refreshes a changed profile', async () => {
    const actor = await actorFor('changed-user');
    await database.db.transaction((tx) => upsertUser(tx, actor));

    await database.db.transaction((tx) => upsertUser(tx, { ...actor, username: 'Renamed', email: 'r@example.com', roles: [] }));

    expect(await storedUser(actor)).toMatchObject({ username: 'Renamed', email: 'r@example.com', roles: [], refreshed: true });
  });

  it('leaves an unchanged profile untouched', async () => {
    const actor = await actorFor('same-user', { email: 'same@example.com' });
    await database.db.transaction((tx) => upsertUser(tx, actor));

    await database.db.transaction((tx) => upsertUser(tx, actor));

    expect(await storedUser(actor)).toMatchObject({ email: 'same@example.com', refreshed: false });
  });

  // PGlite has one connection, so transactions cannot overlap there.
  it.skipIf(!testDatabaseUrl)('lets concurrent first writes of one user all succeed', async () => {
    const width = 8;
    const rounds = 50;
    const failures: unknown[] = [];

    for (let round = 0; round < rounds; round++) {
      const actor = await actorFor(`racing-user-${round}`);
      // Every transaction is open before any of them inserts, which makes the race likely.
      let ready = 0;
      let release!: () => void;
      const allReady = new Promise<void>((resolve) => (release = resolve));
      const results = await Promise.allSettled(
        Array.from({ length: width }, () =>
          database.db.transaction(async (tx) => {
            await tx.execute(sql`SELECT 1`);
            ready += 1;
            if (ready === width) release();
            await allReady;
            await upsertUser(tx, actor);
          }),
        ),
      );
      for (const result of results) if (result.status === 'rejected') failures.push(result.reason);
    }

    expect(failures).toEqual([]);
  });
});
