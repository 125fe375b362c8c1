/** `npm run db:migrate`: applies the committed migrations to DATABASE_URL (PGlite under DATA_DIR without it). */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { dataDirFrom } from '../functions/local-files.js';
import { migrateDatabase, openDatabase } from '../db/open.js';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) await mkdir(dataDirFrom(process.env), { recursive: true, mode: 0o700 });
const handle = await openDatabase(
  databaseUrl ? { databaseUrl } : { pgliteDataDir: join(dataDirFrom(process.env), 'pglite') },
);
try {
  await migrateDatabase(handle);
  console.log(`Migrated ${databaseUrl ? 'DATABASE_URL' : 'the local PGlite database'}.`);
} finally {
  await handle.close();
}
