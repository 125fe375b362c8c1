/**
 * Opens the database for Node: embedded PGlite (the local default, on disk or in memory)
 * or a PostgreSQL server through node-postgres. The Worker opens Neon in db/open-neon.ts
 * so that neither PGlite nor node-postgres enters its bundle.
 */
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { DatabaseHandle, RoundTripListener } from './database.js';
import * as schema from './schema.js';

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

export interface OpenDatabaseOptions {
  /** A `postgres://` URL. Without it, PGlite opens `pgliteDataDir`. */
  databaseUrl?: string;
  /** PGlite data folder; in memory when absent. */
  pgliteDataDir?: string;
  /** Maximum node-postgres pool size. */
  poolMax?: number;
  onRoundTrip?: RoundTripListener;
}

/** Opens PGlite or node-postgres behind the same drizzle interface. */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    return openNodePostgres(options.databaseUrl, options.poolMax ?? 10, options.onRoundTrip);
  }
  return openPglite(options.pgliteDataDir, options.onRoundTrip);
}

/** Applies every committed migration that the database has not seen yet. */
export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  if (handle.driver === 'pglite') {
    await migratePglite(handle.db as Parameters<typeof migratePglite>[0], { migrationsFolder });
  } else {
    await migrateNodePostgres(handle.db as Parameters<typeof migrateNodePostgres>[0], { migrationsFolder });
  }
}

async function openPglite(dataDir: string | undefined, onRoundTrip?: RoundTripListener): Promise<DatabaseHandle> {
  const client = await PGlite.create(dataDir ? { dataDir } : {});
  if (onRoundTrip) countPgliteRoundTrips(client, onRoundTrip);
  const db = drizzlePglite({ client, schema });
  return { db, driver: 'pglite', close: () => client.close() };
}

function openNodePostgres(databaseUrl: string, max: number, onRoundTrip?: RoundTripListener): DatabaseHandle {
  // A request waits at most 10 seconds for a connection, then fails as an outage (503).
  const pool = new pg.Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 10_000 });
  // A client that loses its connection emits `error`, whether idle in the pool or checked out
  // between two statements of a transaction, and without a listener Node exits. The
  // statement that was running fails on its own and reaches the error handler.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  if (onRoundTrip) {
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as { query: unknown }).query = (...args: unknown[]) => {
        onRoundTrip(sqlTextOf(args[0]), paramsOf(args));
        return query(...args);
      };
    });
  }
  const db = drizzleNodePostgres({ client: pool, schema });
  return { db, driver: 'node-postgres', close: () => pool.end() };
}

/**
 * Wraps PGlite's statement methods. A transaction handle is a separate object with its own
 * `query`, so it is wrapped as it is handed out.
 */
function countPgliteRoundTrips(client: PGlite, onRoundTrip: RoundTripListener): void {
  type Queryable = { query: (...args: never[]) => unknown; exec: (...args: never[]) => unknown };
  const wrap = (target: Queryable) => {
    for (const method of ['query', 'exec'] as const) {
      const original = target[method].bind(target) as (...args: unknown[]) => unknown;
      (target as Record<string, unknown>)[method] = (...args: unknown[]) => {
        onRoundTrip(sqlTextOf(args[0]), paramsOf(args));
        return original(...args);
      };
    }
  };
  wrap(client as unknown as Queryable);
  const transaction = client.transaction.bind(client);
  client.transaction = (callback) =>
    transaction((tx) => {
      onRoundTrip('BEGIN');
      wrap(tx as unknown as Queryable);
      return callback(tx);
    });
}

function paramsOf(args: unknown[]): unknown[] | undefined {
  if (Array.isArray(args[1])) return args[1];
  const first = args[0];
  if (first && typeof first === 'object' && 'values' in first && Array.isArray(first.values)) return first.values;
  return undefined;
}

function sqlTextOf(query: unknown): string {
  if (typeof query === 'string') return query;
  if (query && typeof query === 'object' && 'text' in query && typeof query.text === 'string') return query.text;
  return '';
}
