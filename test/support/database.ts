/**
 * A fresh, migrated database per test file: in-memory PGlite by default, or a new database
 * on the PostgreSQL server named by TEST_DATABASE_URL, dropped again on close.
 */
import pg from 'pg';
import type { DatabaseHandle, RoundTripListener } from '../../db/database.js';
import { migrateDatabase, openDatabase } from '../../db/open.js';

export const testDatabaseUrl = process.env.TEST_DATABASE_URL;

export interface TestDatabase extends DatabaseHandle {
  /** The database's own URL on PostgreSQL; undefined on PGlite. */
  url: string | undefined;
}

export async function createTestDatabase(options: { onRoundTrip?: RoundTripListener } = {}): Promise<TestDatabase> {
  if (!testDatabaseUrl) {
    const handle = await openDatabase(options.onRoundTrip ? { onRoundTrip: options.onRoundTrip } : {});
    await migrateDatabase(handle);
    return { ...handle, url: undefined };
  }

  const name = `switchboard_test_${crypto.randomUUID().replace(/-/g, '')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({
    databaseUrl: url.toString(),
    ...(options.onRoundTrip ? { onRoundTrip: options.onRoundTrip } : {}),
  });
  await migrateDatabase(handle);
  return {
    ...handle,
    url: url.toString(),
    close: async () => {
      await handle.close();
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdminClient<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
