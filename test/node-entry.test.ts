import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
let dataDir: string;
let server: ChildProcess;
let output = '';
let baseUrl: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'switchboard-start-'));
  server = spawn(tsx, ['functions/node.ts'], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', DATABASE_URL: '', AUTH_JWT_SECRET: '', LOCAL_ROOT_KEY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 45_000);
    server.stdout!.on('data', () => {
      const match = /Switchboard is listening on (http:\/\/\S+)/.exec(output);
      if (match && /MEMBER_TOKEN=/.test(output)) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    server.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
});

afterAll(async () => {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('keeps the local root key and dev secret in 0600 files under DATA_DIR', async () => {
    for (const name of ['local-root-key', 'dev-jwt-secret']) {
      expect((await stat(join(dataDir, name))).mode & 0o777).toBe(0o600);
    }
    expect(output).toContain('for local use only');
  });

  it('accepts the printed admin token and a token from npm run token', async () => {
    const admin = /ADMIN_TOKEN=(\S+)/.exec(output)![1]!;
    const created = await fetch(`${baseUrl}/api/experimental/mcp/servers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ display_name: 'Local', slug: 'local', url: 'http://127.0.0.1:9/mcp', enabled: true }),
    });
    expect(created.status).toBe(201);

    const token = spawnSync(tsx, ['scripts/token.ts', '--role', 'member', '--sub', 'alice'], {
      env: { ...process.env, DATA_DIR: dataDir, AUTH_JWT_SECRET: '' },
      encoding: 'utf8',
    });
    expect(token.status).toBe(0);
    const list = await fetch(`${baseUrl}/api/experimental/mcp/servers`, { headers: { Authorization: `Bearer ${token.stdout.trim()}` } });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { slug: string }[]).map((s) => s.slug)).toEqual(['local']);
  });

  it('writes one structured log line per request without the token', async () => {
    const admin = /ADMIN_TOKEN=(\S+)/.exec(output)![1]!;
    const response = await fetch(`${baseUrl}/api/experimental/mcp/servers/${crypto.randomUUID()}`, {
      headers: { Authorization: `Bearer ${admin}`, 'X-Request-Id': 'probe-request-1' },
    });
    expect(response.status).toBe(404);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const line = output.split('\n').find((l) => l.includes('probe-request-1'));
    expect(JSON.parse(line!)).toMatchObject({
      event: 'request',
      request_id: 'probe-request-1',
      method: 'GET',
      route: '/api/experimental/mcp/servers/:id',
      status: 404,
      error_code: 'not_found',
      duration_ms: expect.any(Number),
    });
    const logLines = output.split('\n').filter((l) => l.startsWith('{'));
    for (const l of logLines) expect(l).not.toContain(admin);
  });
});

describe('npm run token', () => {
  it('rejects an unknown role with usage', () => {
    const result = spawnSync(tsx, ['scripts/token.ts', '--role', 'root'], { env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--role must be admin or member');
  });
});
