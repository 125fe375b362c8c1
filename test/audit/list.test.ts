import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAuditEntry } from '../../db/audit/entries.js';
import { systemActor } from '../../db/actor.js';
import { auditLogs } from '../../db/schema.js';
import { userIdForSubject } from '../../db/users.js';
import { createTestApp, serverBody, type TestApp } from '../support/harness.js';

const path = '/api/experimental/audit-logs';
let t: TestApp;
let adminId: string;
const serverIds: string[] = [];

interface Entry {
  id: string;
  time: string;
  actor: { kind: string; id: string | null; subject: string };
  action: string;
  resource_type: string;
  resource_id: string | null;
  request_id: string | null;
  outcome: string;
  failure_code: string | null;
  diff: Record<string, unknown>;
}

async function page(query: string): Promise<{ entries: Entry[]; next_cursor: string | null }> {
  const response = await t.request('GET', `${path}?${query}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

beforeAll(async () => {
  t = await createTestApp();
  adminId = await userIdForSubject('admin-1');
  for (const slug of ['first', 'second', 'third']) {
    const response = await t.request('POST', '/api/experimental/mcp/servers', { body: serverBody(slug) });
    serverIds.push((await response.json()).id);
  }
  await t.request('PATCH', `/api/experimental/mcp/servers/${serverIds[0]}`, { body: { enabled: true } });
  await t.request('DELETE', `/api/experimental/mcp/servers/${serverIds[2]}`);
  // Entries that share one timestamp, so pages must break ties by id.
  await t.database.db.transaction(async (tx) => {
    for (let i = 0; i < 5; i++) {
      await writeAuditEntry(tx, systemActor('rotation'), { action: 'dbcrypt.rotate', resourceType: 'dbcrypt_keys', resourceId: null }, { requestId: null });
    }
  });
});
afterAll(() => t.close());

describe('GET /api/experimental/audit-logs', () => {
  it('lists entries newest first in the documented shape', async () => {
    const { entries, next_cursor } = await page('');
    expect(entries).toHaveLength(10);
    expect(next_cursor).toBeNull();
    const order = entries.map((entry) => [entry.time, entry.id]);
    const sorted = [...order].sort(([a, x], [b, y]) => (a! === b! ? y!.localeCompare(x!) : b!.localeCompare(a!)));
    expect(order).toEqual(sorted);
    const create = entries.find((entry) => entry.action === 'mcp_server.create' && entry.resource_id === serverIds[0]);
    expect(create).toMatchObject({
      actor: { kind: 'user', id: adminId, subject: 'admin-1' },
      resource_type: 'mcp_server',
      outcome: 'success',
      failure_code: null,
      diff: { slug: { old: null, new: 'first' } },
    });
    expect(create!.request_id).toEqual(expect.any(String));
  });

  it('pages with a cursor without duplicates or gaps', async () => {
    const all = (await page('limit=200')).entries.map((entry) => entry.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const result = await page(`limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...result.entries.map((entry) => entry.id));
      cursor = result.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(10);
  });

  it.each([
    ['resource', () => `resource_type=mcp_server&resource_id=${serverIds[0]}`, ['mcp_server.update', 'mcp_server.create']],
    ['action', () => 'action=mcp_server.delete', ['mcp_server.delete']],
    ['actor', () => `actor=${adminId}&resource_type=mcp_server`, ['mcp_server.delete', 'mcp_server.update', 'mcp_server.create', 'mcp_server.create', 'mcp_server.create']],
    ['resource type', () => 'resource_type=dbcrypt_keys', Array(5).fill('dbcrypt.rotate')],
  ])('filters by %s', async (_name, query, actions) => {
    const { entries } = await page(query());
    expect(entries.map((entry) => entry.action)).toEqual(actions);
  });

  it('filters by time, both bounds inclusive', async () => {
    const rows = await t.database.db.select({ time: auditLogs.time }).from(auditLogs);
    const times = [...new Set(rows.map((row) => new Date(row.time).toISOString()))].sort();
    const middle = times[Math.floor(times.length / 2)]!;
    const since = await page(`since=${middle}`);
    const until = await page(`until=${middle}`);
    expect(since.entries.every((entry) => entry.time >= middle)).toBe(true);
    expect(until.entries.every((entry) => entry.time <= middle)).toBe(true);
    const both = await page(`since=${middle}&until=${middle}`);
    expect(both.entries.length).toBeGreaterThan(0);
    expect(since.entries.length + until.entries.length - both.entries.length).toBe(10);
    expect((await page('until=2000-01-01T00:00:00Z')).entries).toEqual([]);
  });

  it('answers in one round trip', async () => {
    const statements = await t.countRoundTrips(() => t.request('GET', `${path}?action=mcp_server.create&limit=2`));
    expect(statements).toHaveLength(1);
  });

  it.each([
    ['limit', 'limit=0'],
    ['limit', 'limit=201'],
    ['limit', 'limit=ten'],
    ['since', 'since=yesterday'],
    ['until', 'until=2026-01-01'],
    ['until', 'since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z'],
    ['actor', 'actor=admin-1'],
    ['action', 'action=DROP TABLE'],
    ['resource_type', 'resource_type=Mcp-Server'],
    ['cursor', 'cursor=not-a-cursor'],
    ['cursor', `cursor=${Buffer.from('["2026-01-01T00:00:00.000Z","x"]').toString('base64url')}`],
    ['unknown', 'unknown=1'],
  ])('rejects an invalid %s with 400', async (field, query) => {
    const response = await t.request('GET', `${path}?${query}`);
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.code).toBe('validation_failed');
    expect(body.validations.map((violation: { field: string }) => violation.field)).toContain(field);
  });

  it('rejects members with 403', async () => {
    const response = await t.request('GET', path, { as: 'member' });
    expect(response.status).toBe(403);
    expect((await response.json()).code).toBe('forbidden');
  });

  it('rejects anonymous callers with 401', async () => {
    const response = await t.request('GET', path, { as: 'anonymous' });
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toContain('Bearer');
  });
});
