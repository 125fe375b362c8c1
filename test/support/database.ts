/**
 * A fresh, migrated database per test file: in-memory PGlite by default, or a new database
 * on the PostgreSQL server named by TEST_DATABASE_URL (or by `serverUrl`), dropped again on
 * close.
 */
import pg from 'pg';
import type { DatabaseHandle, RoundTripListener } from '../../db/database.js';
import { migrateDatabase, openDatabase } from '../../db/open.js';

export const testDatabaseUrl = process.env.TEST_DATABASE_URL;

export interface TestDatabase extends DatabaseHandle {
  /** The database's own URL on PostgreSQL; undefined on PGlite. */
  url: string | undefined;
}

export interface TestDatabaseOptions {
  onRoundTrip?: RoundTripListener;
  /** A PostgreSQL server to create the database on; defaults to TEST_DATABASE_URL. */
  serverUrl?: string;
}

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = options.serverUrl ?? testDatabaseUrl;
  if (!serverUrl) {
    const handle = await openDatabase(options.onRoundTrip ? { onRoundTrip: options.onRoundTrip } : {});
    await migrateDatabase(handle);
    return { ...handle, url: undefined };
  }

  const name = `switchboard_test_${crypto.randomUUID().replace(/-/g, '')}`;
  await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
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
      await withAdminClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdminClient<T>(serverUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
