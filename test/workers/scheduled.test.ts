/**
 * The Worker's cron handler inside workerd: one `scheduled` call runs a real key rotation on
 * PostgreSQL through the Neon driver, moves a stored secret to the new data key, logs one
 * `key_rotation` line, and leaves the API working.
 *
 * The calls go to the Worker module with bindings of this file's own: a database apart from
 * the other Worker tests, because rotation re-encrypts every row it finds.
 *
 * NOTE: The Worker keeps the bindings of its first event for the life of its module, so this
 * file needs a module instance of its own, which vitest's default per-file isolation gives.
 * With `--no-isolate` another file may start the Worker first on the shared database.
 */
import { createExecutionContext, createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { z } from 'zod';
import worker, { type WorkerBindings } from '../../functions/worker.js';
import { signDevToken } from '../../functions/auth/tokens.js';
import { fromBase64Url } from '../../db/crypto/aead.js';
import { Keyring, LocalKeyProvider, secretColumns } from '../../db/crypto/index.js';
import { openNeon } from '../../db/open-neon.js';

const skipReason = inject('workersSkipReason');
const serversPath = 'http://switchboard.test/api/experimental/mcp/servers';
const apiKey = 'sk-live-rotation-8c2e4f6a1b3d5e7f';
const newApiKey = 'sk-live-rotated-0a9b8c7d6e5f4a3b';

/**
 * KEY_ROTATION_DAYS must be a positive number of days. One billionth of a day is about 86
 * microseconds, so the data key made by the first write is already due for rotation.
 */
const bindings: WorkerBindings = {
  ...env,
  DATABASE_URL: inject('rotationDatabaseUrl'),
  KEY_ROTATION_DAYS: '0.000000001',
};

let adminToken: string;

function send(method: string, url: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${adminToken}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const request = new Request(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return worker.fetch(request, bindings, createExecutionContext());
}

describe.skipIf(skipReason !== '')('Worker scheduled handler', () => {
  let serverId: string;

  beforeAll(async () => {
    adminToken = await signDevToken(new TextEncoder().encode(env.AUTH_JWT_SECRET), {
      subject: 'workerd-rotation-admin',
      roles: ['admin'],
      name: 'Ada Admin',
    });
    const response = await send('POST', serversPath, {
      display_name: 'Rotated',
      slug: 'rotated',
      url: 'https://mcp.example.com/rotated',
      auth_type: 'api_key',
      api_key_value: apiKey,
    });
    const text = await response.text();
    expect(response.status, text).toBe(201);
    serverId = z.object({ id: z.string() }).parse(JSON.parse(text)).id;
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('rotates to a new data key and re-encrypts the secret', async () => {
    const before = await readDatabase(serverId);
    expect(before.keys.map((key) => key.number)).toEqual([1]);
    expect(before.secret.api_key_value_key_id).toBe(before.keys[0]!.active_key_digest);
    const log = vi.spyOn(console, 'log');

    // The handler awaits its pass instead of handing it to `waitUntil`, so nothing is left to wait for.
    await worker.scheduled(createScheduledController({ cron: '17 * * * *', scheduledTime: Date.now() }), bindings);

    const after = await readDatabase(serverId);
    expect(after.keys.map((key) => key.number)).toEqual([1, 2]);
    const [oldKey, newKey] = after.keys;
    // The old key stays active until the new one is older than the keyring's cache lifetime.
    expect(oldKey!.active_key_digest).toBe(before.keys[0]!.active_key_digest);
    expect(newKey!.active_key_digest).toBeTruthy();
    expect(after.secret.api_key_value_key_id).toBe(newKey!.active_key_digest);
    expect(after.secret.api_key_value).not.toBe(before.secret.api_key_value);
    expect(after.secret.api_key_value).not.toContain(apiKey);
    expect(await decryptApiKey(serverId, after.secret)).toBe(apiKey);

    const lines = log.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('"key_rotation'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'info',
      event: 'key_rotation',
      cron: '17 * * * *',
      outcome: 'incomplete',
      keys_created: 1,
      rows_reencrypted: 1,
      rows_left: 0,
      keys_revoked: 0,
      keys_pending_revocation: 1,
    });
    for (const line of lines) expect(line).not.toContain(apiKey);
  });

  it('serves the rotated server through the API', async () => {
    const read = await send('GET', `${serversPath}/${serverId}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id: serverId, has_api_key: true });

    const update = await send('PATCH', `${serversPath}/${serverId}`, { api_key_value: newApiKey });
    expect(update.status).toBe(200);

    const stored = await readDatabase(serverId);
    expect(stored.secret.api_key_value_key_id).toBe(stored.keys.at(-1)!.active_key_digest);
    expect(await decryptApiKey(serverId, stored.secret)).toBe(newApiKey);
  });
});

const keyRowSchema = z.object({ number: z.number(), active_key_digest: z.string().nullable() });
const secretRowSchema = z.object({ api_key_value: z.string(), api_key_value_key_id: z.string() });
type SecretRow = z.infer<typeof secretRowSchema>;

/**
 * Reads the data keys and the server's stored api key straight from PostgreSQL through the
 * Neon driver, on a connection of its own that is closed before it returns.
 */
async function readDatabase(id: string): Promise<{ keys: z.infer<typeof keyRowSchema>[]; secret: SecretRow }> {
  const database = openNeon({ databaseUrl: bindings.DATABASE_URL, webSocketProxy: env.NEON_WS_PROXY });
  try {
    const keys = await database.db.execute(sql`SELECT number, active_key_digest FROM dbcrypt_keys ORDER BY number`);
    const secret = await database.db.execute(sql`SELECT api_key_value, api_key_value_key_id FROM mcp_server_configs WHERE id = ${id}`);
    return {
      keys: z.object({ rows: z.array(keyRowSchema) }).parse(keys).rows,
      secret: z.object({ rows: z.array(secretRowSchema).length(1) }).parse(secret).rows[0]!,
    };
  } finally {
    await database.close();
  }
}

/** Decrypts the stored api key with a keyring of the test's own over the Worker's root key. */
async function decryptApiKey(id: string, secret: SecretRow): Promise<string> {
  const keyring = new Keyring(await LocalKeyProvider.create(fromBase64Url(env.LOCAL_ROOT_KEY)));
  const database = openNeon({ databaseUrl: bindings.DATABASE_URL, webSocketProxy: env.NEON_WS_PROXY });
  try {
    return await keyring.decrypt(database.db, secretColumns.apiKeyValue, id, secret.api_key_value, secret.api_key_value_key_id);
  } finally {
    await database.close();
  }
}
