import { defineConfig } from 'drizzle-kit';

// drizzle-kit only generates SQL here; it never connects. The same files migrate
// PGlite, PostgreSQL and Neon (see db/migrate.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './db/migrations',
});
