import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundRequestError, createGuardedFetch } from '../../functions/outbound/guarded-fetch.js';

let server: Server;
let origin: string;
/** Requests the server saw, so a test can tell whether the guard let one through. */
const seen: string[] = [];
let release: () => void = () => {};

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/big') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      // No Content-Length: the guard must count the streamed bytes itself.
      res.write(Buffer.alloc(64 * 1024));
      res.end(Buffer.alloc(64 * 1024));
      return;
    }
    if (req.url === '/hang') {
      // Sends no response until the test releases it.
      release = () => res.end();
      return;
    }
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(31459, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  release();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A fetch that serves responses from a table instead of the network, for hosts that must never be reached. */
function scriptedFetch(responses: Record<string, () => Response>) {
  const calls: string[] = [];
  const fetchImpl = async (input: string | URL | Request) => {
    const url = String(input instanceof Request ? input.url : input);
    calls.push(url);
    const answer = responses[url];
    if (!answer) throw new Error(`unexpected request to ${url}`);
    return answer();
  };
  return { calls, fetch: fetchImpl as typeof fetch };
}

describe('createGuardedFetch', () => {
  it.each([
    ['a private IPv4 token URL', 'https://10.0.0.1/token'],
    ['a loopback address', 'https://127.0.0.1/token'],
    ['a link-local metadata address', 'https://169.254.169.254/latest/meta-data'],
    ['an IPv6 unique local address', 'https://[fd00::1]/token'],
    ['plain http', 'http://auth.example.com/token'],
    ['localhost by name', 'https://localhost/token'],
  ])('rejects %s before sending', async (_name, url) => {
    const scripted = scriptedFetch({});
    const guarded = createGuardedFetch({ allowLocalTargets: false, fetch: scripted.fetch });

    await expect(guarded(url, { method: 'POST' })).rejects.toMatchObject({ code: 'blocked_target' });
    expect(scripted.calls).toEqual([]);
  });

  it('rejects a name that resolves to a private address', async () => {
    const scripted = scriptedFetch({});
    const guarded = createGuardedFetch({
      allowLocalTargets: false,
      fetch: scripted.fetch,
      resolveHost: async () => ['192.168.1.20'],
    });

    await expect(guarded('https://auth.example.com/token')).rejects.toMatchObject({ code: 'blocked_target' });
    expect(scripted.calls).toEqual([]);
  });

  it('rejects a redirect to a private address without following it', async () => {
    const scripted = scriptedFetch({
      'https://auth.example.com/token': () => new Response(null, { status: 302, headers: { Location: 'https://10.1.2.3/steal' } }),
    });
    const guarded = createGuardedFetch({ allowLocalTargets: false, fetch: scripted.fetch, resolveHost: async () => ['93.184.215.14'] });

    await expect(guarded('https://auth.example.com/token')).rejects.toMatchObject({ code: 'blocked_target' });
    expect(scripted.calls).toEqual(['https://auth.example.com/token']);
  });

  it('rejects a redirect from https to plain http', async () => {
    const scripted = scriptedFetch({
      'https://auth.example.com/a': () => new Response(null, { status: 307, headers: { Location: 'http://auth.example.com/b' } }),
    });
    const guarded = createGuardedFetch({ allowLocalTargets: false, fetch: scripted.fetch, resolveHost: async () => ['93.184.215.14'] });

    await expect(guarded('https://auth.example.com/a')).rejects.toBeInstanceOf(OutboundRequestError);
    expect(scripted.calls).toHaveLength(1);
  });

  it('fails a streamed body past the size cap', async () => {
    const guarded = createGuardedFetch({ allowLocalTargets: true, maxResponseBytes: 100 * 1024 });
    const response = await guarded(`${origin}/big`);

    await expect(response.arrayBuffer()).rejects.toMatchObject({ code: 'response_too_large' });
  });

  it('fails a declared body past the size cap before reading it', async () => {
    const scripted = scriptedFetch({
      'https://auth.example.com/metadata': () => new Response('x'.repeat(10), { headers: { 'Content-Length': '2000000' } }),
    });
    const guarded = createGuardedFetch({ allowLocalTargets: false, fetch: scripted.fetch, resolveHost: async () => ['93.184.215.14'] });

    await expect(guarded('https://auth.example.com/metadata')).rejects.toMatchObject({ code: 'response_too_large' });
  });

  it('times out a server that never answers', async () => {
    const guarded = createGuardedFetch({ allowLocalTargets: true, timeoutMs: 200 });

    await expect(guarded(`${origin}/hang`)).rejects.toMatchObject({ code: 'timeout' });
    expect(seen).toContain('/hang');
  });

  it('reaches a loopback server only when local targets are allowed', async () => {
    await expect(createGuardedFetch({ allowLocalTargets: false })(`${origin}/ok`)).rejects.toMatchObject({ code: 'blocked_target' });
    const response = await createGuardedFetch({ allowLocalTargets: true })(`${origin}/ok`);
    expect(await response.text()).toBe('ok');
  });
});
