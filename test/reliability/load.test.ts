/**
 * Load and faults on PostgreSQL: 64 concurrent clients of mixed reads and writes for 30
 * seconds with zero errors and no connection left open, then a database restart under load
 * that must return 503 during the outage, succeed after it, and leave no partial write.
 * Runs in the PostgreSQL pass of the suite (TEST_DATABASE_URL set), on a cluster of its own.
 */
import { serve, type ServerType } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring, LocalKeyProvider, secretColumns } from '../../db/crypto/index.js';
import type { DatabaseHandle } from '../../db/database.js';
import { migrateDatabase, openDatabase } from '../../db/open.js';
import { mcpServerConfigs } from '../../db/schema.js';
import { createApp } from '../../functions/app.js';
import { createTokenVerifier, signDevToken } from '../../functions/auth/tokens.js';
import { readConfig } from '../../functions/config.js';
import { createLogger } from '../../functions/log.js';
import { createGuardedFetch } from '../../functions/outbound/guarded-fetch.js';
import { testJwtSecret } from '../support/harness.js';
import { startOwnPostgres, type OwnPostgres } from '../support/own-postgres.js';

const enabled = Boolean(process.env.TEST_DATABASE_URL);
const loadSeconds = Number(process.env.LOAD_SECONDS ?? 30);

let postgres: OwnPostgres;
let handle: DatabaseHandle;
let server: ServerType;
let baseUrl: string;
let keyring: Keyring;
const tokens = { admin: '', member: '' };

beforeAll(async () => {
  if (!enabled) return;
  postgres = await startOwnPostgres();
  handle = await openDatabase({ databaseUrl: postgres.url, poolMax: 10 });
  await migrateDatabase(handle);
  keyring = new Keyring(await LocalKeyProvider.create(crypto.getRandomValues(new Uint8Array(32))));
  const config = readConfig({ AUTH_JWT_SECRET: testJwtSecret });
  const app = createApp({
    config,
    keyring,
    verifyToken: createTokenVerifier(config.auth),
    log: createLogger(() => {}),
    fetchOutbound: createGuardedFetch({ allowLocalTargets: false }),
    acquireDatabase: async () => ({ db: handle.db, release: async () => {} }),
  });
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/experimental/mcp/servers`;
  const secret = new TextEncoder().encode(testJwtSecret);
  tokens.admin = await signDevToken(secret, { subject: 'load-admin', roles: ['admin'] });
  tokens.member = await signDevToken(secret, { subject: 'load-member', roles: [] });
}, 120_000);

afterAll(async () => {
  if (!enabled) return;
  // Each step is bounded, so a connection the restart left half-open cannot hold the
  // cluster open; the cluster is removed whatever happens before.
  try {
    (server as import('node:http').Server).closeAllConnections();
    await withinSeconds(10, new Promise((resolve) => server.close(resolve)));
    await withinSeconds(10, handle.close());
  } finally {
    await postgres.destroy();
  }
}, 60_000);

function withinSeconds<T>(seconds: number, promise: Promise<T>): Promise<T | undefined> {
  return Promise.race([promise, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), seconds * 1000).unref())]);
}

interface Outcome {
  status: number;
  slug?: string;
  apiKey?: string;
}

let sequence = 0;

/** Sends one request of the mix: half lists, a quarter creates with a secret, a quarter updates a secret. */
async function oneRequest(client: number, ids: string[]): Promise<Outcome> {
  const n = sequence++;
  const auth = { 'Content-Type': 'application/json' };
  switch (n % 4) {
    case 0:
    case 1: {
      const response = await fetch(baseUrl, { headers: { Authorization: `Bearer ${n % 2 ? tokens.member : tokens.admin}` } });
      await response.arrayBuffer();
      return { status: response.status };
    }
    case 2: {
      const slug = `load-${client}-${n}`;
      const apiKey = `load-key-${n}`;
      const response = await fetch(baseUrl, {
        method: 'POST',
        headers: { ...auth, Authorization: `Bearer ${tokens.admin}` },
        body: JSON.stringify({ display_name: slug, slug, url: 'https://mcp.example.com/', enabled: true, auth_type: 'api_key', api_key_value: apiKey }),
      });
      const body = (await response.json()) as { id?: string };
      if (response.status === 201 && body.id) ids.push(body.id);
      return { status: response.status, slug, apiKey };
    }
    default: {
      const id = ids[n % Math.max(ids.length, 1)];
      if (!id) return { status: 200 };
      const response = await fetch(`${baseUrl}/${id}`, {
        method: 'PATCH',
        headers: { ...auth, Authorization: `Bearer ${tokens.admin}` },
        body: JSON.stringify({ description: `update ${n}` }),
      });
      await response.arrayBuffer();
      return { status: response.status };
    }
  }
}

async function runClients(clients: number, seconds: number, ids: string[], onTick?: (elapsed: number) => void): Promise<(Outcome & { at: number })[]> {
  const outcomes: (Outcome & { at: number })[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < deadline) {
        const outcome = await oneRequest(client, ids).catch(() => ({ status: -1 }));
        outcomes.push({ ...outcome, at: performance.now() - started });
        onTick?.(performance.now() - started);
      }
    }),
  );
  return outcomes;
}

describe.skipIf(!enabled)('load on PostgreSQL', () => {
  it('serves 64 clients of mixed reads and writes without an error', async () => {
    const ids: string[] = [];
    const outcomes = await runClients(64, loadSeconds, ids);

    const failures = outcomes.filter((o) => ![200, 201].includes(o.status));
    expect(outcomes.length).toBeGreaterThan(1000);
    expect(failures).toEqual([]);

    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    await admin.end();
    expect(rows[0].n).toBeLessThanOrEqual(10);
  }, 120_000);

  it('answers 503 while the database restarts and loses no write', async () => {
    const ids: string[] = [];
    let stopped = false;
    let restarted = false;
    const outcomes = await runClients(16, 12, ids, (elapsed) => {
      if (elapsed > 3000 && !stopped) {
        stopped = true;
        void postgres.stop().then(() => new Promise((resolve) => setTimeout(resolve, 3000))).then(() => postgres.start()).then(() => {
          restarted = true;
        });
      }
    });
    expect(restarted).toBe(true);

    const statuses = new Set(outcomes.map((o) => o.status));
    expect([...statuses].every((status) => [200, 201, 503].includes(status)), `statuses: ${[...statuses]}`).toBe(true);
    expect(outcomes.some((o) => o.status === 503)).toBe(true);
    const last = outcomes.filter((o) => o.at > 10_000);
    expect(last.some((o) => o.status === 200 || o.status === 201)).toBe(true);

    // Every acknowledged create is stored whole, and its secret still decrypts.
    for (const outcome of outcomes.filter((o) => o.status === 201)) {
      const [row] = await handle.db.select().from(mcpServerConfigs).where(eq(mcpServerConfigs.slug, outcome.slug!));
      expect(row, `${outcome.slug} was acknowledged but is missing`).toBeDefined();
      const secret = await keyring.decrypt(handle.db, secretColumns.apiKeyValue, row!.id, row!.apiKeyValue!, row!.apiKeyValueKeyId!);
      expect(secret).toBe(outcome.apiKey);
    }
  }, 120_000);
});
