/**
 * The one database type every query function takes. PGlite, node-postgres and the Neon
 * serverless driver all produce a drizzle `PgDatabase`, and a transaction handle is one too,
 * so a query function runs unchanged on any driver and inside or outside a transaction.
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.js';

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

/**
 * Called once per statement sent to the server, for tests and benchmarks that count round
 * trips. `params` are bound values, which can be ciphertexts: never log them.
 */
export type RoundTripListener = (sqlText: string, params?: unknown[]) => void;

/** An open database and the way to release it. */
export interface DatabaseHandle {
  db: Database;
  driver: 'pglite' | 'node-postgres' | 'neon';
  close(): Promise<void>;
}
