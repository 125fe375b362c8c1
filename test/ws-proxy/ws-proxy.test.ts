import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startWebSocketProxy, type WebSocketProxy } from '../support/ws-proxy.js';

/** A TCP echo server on 127.0.0.1 is the target here, because the proxy only moves bytes. */
let echo: Server;
let echoPort: number;
let echoConnections = 0;
let proxy: WebSocketProxy;

beforeAll(async () => {
  echo = createServer((socket: Socket) => {
    echoConnections += 1;
    socket.on('data', (chunk) => {
      if (chunk.toString() === 'quit') socket.end();
      else socket.write(chunk);
    });
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  echoPort = (echo.address() as AddressInfo).port;
  proxy = await startWebSocketProxy({ target: { host: '127.0.0.1', port: echoPort } });
});

afterAll(async () => {
  await proxy.close();
  echo.close();
});

function open(address: string | undefined): WebSocket {
  const query = address === undefined ? '' : `?address=${encodeURIComponent(address)}`;
  return new WebSocket(`ws://${proxy.address}/v1${query}`);
}

/** Returns the HTTP status of the upgrade response: 101 when the proxy accepted it. */
async function upgradeStatus(webSocket: WebSocket): Promise<number> {
  const outcome = await Promise.race([
    once(webSocket, 'open').then(() => 101),
    once(webSocket, 'unexpected-response').then(([, response]) => (response as { statusCode: number }).statusCode),
  ]);
  if (outcome === 101) {
    webSocket.close();
    await once(webSocket, 'close');
    return outcome;
  }
  // Terminating a connection that never opened emits 'error' by design, so wait for it here.
  const terminated = once(webSocket, 'error');
  webSocket.terminate();
  await terminated;
  return outcome;
}

describe('startWebSocketProxy', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(proxy.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('forwards binary messages to the target and back', async () => {
    const webSocket = open(`127.0.0.1:${echoPort}`);
    await once(webSocket, 'open');

    webSocket.send(Buffer.from([0, 1, 2, 255]));
    const [reply, isBinary] = (await once(webSocket, 'message')) as [Buffer, boolean];

    expect(isBinary).toBe(true);
    expect([...reply]).toEqual([0, 1, 2, 255]);
    webSocket.close();
    await once(webSocket, 'close');
  });

  it('closes the WebSocket when the target ends the connection', async () => {
    const webSocket = open(`127.0.0.1:${echoPort}`);
    await once(webSocket, 'open');

    webSocket.send(Buffer.from('quit'));
    await once(webSocket, 'close');

    expect(webSocket.readyState).toBe(WebSocket.CLOSED);
  });

  it('closes with 1003 on a text message', async () => {
    const webSocket = open(`127.0.0.1:${echoPort}`);
    await once(webSocket, 'open');

    webSocket.send('SELECT 1');
    const [code] = (await once(webSocket, 'close')) as [number];

    expect(code).toBe(1003);
  });

  it.each([
    ['another port', '127.0.0.1:1'],
    ['another loopback host', `127.0.0.2:${echoPort}`],
    ['a host name for the same address', `localhost:${echoPort}`],
    ['an empty address', ''],
    ['no address', undefined],
  ])('rejects %s with 403 and never connects', async (_case, address) => {
    const before = echoConnections;

    const status = await upgradeStatus(open(address));

    expect(status).toBe(403);
    expect(echoConnections).toBe(before);
  });
});
