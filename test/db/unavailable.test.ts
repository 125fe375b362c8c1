import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/open.js';
import type { DatabaseHandle } from '../../db/database.js';
import { createApp } from '../../functions/app.js';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
let unreachable: DatabaseHandle;

beforeAll(async () => {
  t = await createTestApp();
  // Port 1 on loopback refuses connections, as a database that is down does.
  unreachable = await openDatabase({ databaseUrl: 'postgres://switchboard@127.0.0.1:1/switchboard' });
});
afterAll(async () => {
  await unreachable.close();
  await t.close();
});

describe('a database outage', () => {
  it('answers 503 with Retry-After and no driver text', async () => {
    const app = createApp({ ...t.runtime, acquireDatabase: async () => ({ db: unreachable.db, release: async () => {} }) });
    const response = await app.request('/api/experimental/mcp/servers', { headers: { Authorization: `Bearer ${t.tokens.member}` } });

    expect(response.status).toBe(503);
    expect(response.headers.get('Retry-After')).toBe('2');
    const body = await response.json();
    expect(body).toMatchObject({ code: 'database_unavailable' });
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    expect(t.logs.some((line) => line.includes('"database_unavailable"') && line.includes('ECONNREFUSED'))).toBe(true);
  });
});
