import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring, LocalKeyProvider, secretColumns } from '../../db/crypto/index.js';
import { fromBase64Url, toBase64Url } from '../../db/crypto/aead.js';
import { migrateDatabase, openDatabase } from '../../db/open.js';
import { auditLogs, mcpServerConfigs } from '../../db/schema.js';
import { startTestKms, type TestKms } from '../support/kms.js';

const run = promisify(execFile);
const rootKey = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
const serverId = crypto.randomUUID();
let dataDir: string;
let kms: TestKms;
let kmsEnvironment: Record<string, string>;

/** Runs the CLI on a PGlite database under `dataDir`; PGlite allows one process at a time. */
async function dbcrypt(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, DATA_DIR: dataDir, LOCAL_ROOT_KEY: rootKey, DATABASE_URL: '', KMS_KEY_ID: '', ...kmsEnvironment };
  try {
    const { stdout, stderr } = await run(join('node_modules', '.bin', 'tsx'), ['scripts/dbcrypt.ts', ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function withDatabase<T>(use: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
  const handle = await openDatabase({ pgliteDataDir: join(dataDir, 'pglite') });
  try {
    return await use(handle.db);
  } finally {
    await handle.close();
  }
}

beforeAll(async () => {
  kms = await startTestKms();
  kmsEnvironment = {
    AWS_REGION: 'us-east-1',
    KMS_ENDPOINT: kms.emulator.url,
    AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
    AWS_SECRET_ACCESS_KEY: 'emulator-secret',
  };
  dataDir = await mkdtemp(join(tmpdir(), 'dbcrypt-cli-'));
  const handle = await openDatabase({ pgliteDataDir: join(dataDir, 'pglite') });
  try {
    const db = handle.db;
    await migrateDatabase(handle);
    const keyring = new Keyring(await LocalKeyProvider.create(fromBase64Url(rootKey)));
    const encryptor = await keyring.encryptor(db);
    await db.insert(mcpServerConfigs).values({
      id: serverId,
      displayName: 'CLI',
      slug: 'cli',
      url: 'https://mcp.example.com/cli',
      authType: 'api_key',
      apiKeyValue: await encryptor.encrypt(secretColumns.apiKeyValue, serverId, 'cli-secret-value'),
      apiKeyValueKeyId: encryptor.keyId,
    });
  } finally {
    await handle.close();
  }
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await kms.close();
});

describe('npm run dbcrypt', () => {
  it('rotates with plain progress lines off a terminal, then reports the keys', async () => {
    const rotated = await dbcrypt('rotate', '--force');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('Re-encrypted 1 of 1 rows.');
    expect(rotated.stdout).toContain('Rotation incomplete: 1 key(s) created, 0 re-wrapped, 1 row(s) re-encrypted, 0 left');
    expect(JSON.parse(rotated.stderr.split('\n').find((line) => line.includes('"key_rotation"'))!)).toMatchObject({ rows_reencrypted: 1 });

    const status = await dbcrypt('status');
    expect(status.code).toBe(0);
    const lines = status.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^key\s+state\s+age \(days\)\s+rows\s+wrapped by$/);
    expect(lines[1]).toMatch(/^2\s+active\s+0\.0\s+1\s+local:/);
    expect(lines[2]).toMatch(/^1\s+active\s+0\.0\s+0\s+local:/);
    for (const output of [rotated.stdout, rotated.stderr, status.stdout]) expect(output).not.toContain('cli-secret-value');

    const [row] = await withDatabase((db) => db.select({ value: mcpServerConfigs.apiKeyValue }).from(mcpServerConfigs));
    expect(row!.value).toMatch(/^v1:/);
  });

  it('stops npm start when the root key is wrong', async () => {
    const wrongKey = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
    const env = { ...process.env, DATA_DIR: dataDir, LOCAL_ROOT_KEY: wrongKey, DATABASE_URL: '', KMS_KEY_ID: '', PORT: '0' };
    const started = await run(join('node_modules', '.bin', 'tsx'), ['functions/node.ts'], { env }).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => error,
    );

    expect(started.code).toBe(1);
    const line = started.stdout.split('\n').find((text) => text.includes('startup_failed'));
    const logged = JSON.parse(line!) as { error_name: string; error_message: string };
    expect(logged.error_name).toBe('KeyCheckError');
    expect(logged.error_message).toMatch(/^Data key 2 is wrapped by local:[0-9a-f]+, but the configured root key is local:[0-9a-f]+\./);
    expect(logged.error_message).toContain('dbcrypt delete-all');
  });

  it('moves the data keys to KMS and back', async () => {
    const toKms = await dbcrypt('rewrap', '--to', 'kms', '--kms-key-id', kms.keyId);
    expect(toKms.code).toBe(0);
    expect(toKms.stdout).toContain(`Re-wrapped 2 data key(s) under ${kms.keyId}.`);
    expect(kms.emulator.calls.Encrypt).toBe(2);
    expect((await dbcrypt('status')).stdout).toMatch(new RegExp(`^2\\s+active\\s+\\S+\\s+1\\s+${kms.keyId}$`, 'm'));

    const toLocal = await dbcrypt('rewrap', '--to', 'local');
    expect(toLocal.code).toBe(0);
    expect(toLocal.stdout).toContain('Re-wrapped 2 data key(s) under local:');
    const again = await dbcrypt('rewrap', '--to', 'local');
    expect(again.stdout).toContain('Re-wrapped 0 data key(s)');
  });

  it('refuses delete-all without the confirmation flag', async () => {
    const refused = await dbcrypt('delete-all');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes-delete-all-secrets');
    const [row] = await withDatabase((db) => db.select({ value: mcpServerConfigs.apiKeyValue }).from(mcpServerConfigs));
    expect(row!.value).not.toBeNull();
  });

  it('drops every secret and revokes every key with the flag, twice over', async () => {
    const first = await dbcrypt('delete-all', '--yes-delete-all-secrets');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Cleared the secrets of 1 MCP server(s), deleted 0 token(s), revoked 2 key(s).');
    const again = await dbcrypt('delete-all', '--yes-delete-all-secrets');
    expect(again.stdout).toContain('Cleared the secrets of 0 MCP server(s), deleted 0 token(s), revoked 0 key(s).');

    const [row] = await withDatabase((db) => db.select().from(mcpServerConfigs));
    expect(row).toMatchObject({ apiKeyValue: null, apiKeyValueKeyId: null, slug: 'cli' });
  });

  it('records every rotate, rewrap and delete-all in the audit log', async () => {
    const rows = await withDatabase((db) => db.select().from(auditLogs).orderBy(asc(auditLogs.time), asc(auditLogs.id)));
    expect(rows.map((row) => [row.action, row.outcome])).toEqual([
      ['dbcrypt.rotate', 'success'],
      ['dbcrypt.rewrap', 'success'],
      ['dbcrypt.rewrap', 'success'],
      ['dbcrypt.rewrap', 'success'],
      ['dbcrypt.delete_all', 'success'],
      ['dbcrypt.delete_all', 'success'],
    ]);
    for (const row of rows) expect(row).toMatchObject({ actorKind: 'system', actorSubject: 'cli', actorId: null, resourceType: 'dbcrypt_keys', requestId: null });
    expect(rows[0]!.diff).toMatchObject({ outcome: 'incomplete', keys_created: 1, rows_reencrypted: 1 });
    expect(rows[1]!.diff).toEqual({ wrapping_key_id: kms.keyId, keys_rewrapped: [1, 2], keys_unreachable: [] });
    expect(rows[3]!.diff).toMatchObject({ keys_rewrapped: [] });
    expect(rows[4]!.diff).toEqual({ server_secrets_cleared: 1, tokens_deleted: 0, keys_revoked: 2 });
    expect(JSON.stringify(rows)).not.toContain('cli-secret-value');
  });
});
