import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { mcpServerConfigs } from '../../db/schema.js';
import { createTestApp, serverBody } from '../support/harness.js';

describe('harness leak scan', () => {
  it('fails the closing app when a secret reaches a log line', async () => {
    const t = await createTestApp();
    const secret = 'scanner-probe-secret-5e1f';
    await t.request('POST', '/api/experimental/mcp/servers', {
      body: serverBody('scan-probe', { auth_type: 'api_key', api_key_value: secret }),
    });
    t.logs.push(JSON.stringify({ event: 'careless', value: secret }));
    await expect(t.close()).rejects.toThrow(/a secret of 25 characters starting "sca…" appears in a log line/);
  });

  it('fails when a stored ciphertext reaches a log line', async () => {
    const t = await createTestApp();
    await t.request('POST', '/api/experimental/mcp/servers', {
      body: serverBody('scan-cipher', { auth_type: 'api_key', api_key_value: 'another-probe-secret' }),
    });
    const [row] = await t.database.db
      .select({ value: mcpServerConfigs.apiKeyValue })
      .from(mcpServerConfigs)
      .where(eq(mcpServerConfigs.slug, 'scan-cipher'));
    t.logs.push(`oops ${row!.value}`);
    await expect(t.close()).rejects.toThrow(/appears in a log line/);
  });

  it('passes an app that leaks nothing', async () => {
    const t = await createTestApp();
    await t.request('POST', '/api/experimental/mcp/servers', {
      body: serverBody('scan-clean', { auth_type: 'api_key', api_key_value: 'clean-probe-secret' }),
    });
    await expect(t.close()).resolves.toBeUndefined();
  });
});
