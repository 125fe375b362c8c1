/**
 * A WebSocket-to-TCP proxy in front of a plain PostgreSQL server, so the Neon serverless
 * driver can reach it the way it reaches Neon. The driver opens
 * `ws://<proxy>?address=<host>:<port>` and then sends the PostgreSQL wire protocol as binary
 * messages. Each WebSocket connection gets its own TCP connection, and bytes pass through
 * unchanged in both directions.
 *
 * It listens on 127.0.0.1 only and connects only to the target it was started for. An upgrade
 * request naming any other `address` is rejected with 403, so the proxy cannot be used to
 * reach other hosts or ports.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

export interface WebSocketProxyOptions {
  /** The PostgreSQL server to forward to, as the driver names it in `address`. */
  target: { host: string; port: number };
}

export interface WebSocketProxy {
  /** `127.0.0.1:<port>`, the form `neonConfig.wsProxy` takes (no scheme). */
  address: string;
  /** Closes every open connection and stops listening. */
  close(): Promise<void>;
}

/** RFC 6455 section 7.4.1, close code 1003: the endpoint received a data type it cannot accept. */
const unsupportedData = 1003;

/**
 * Starts the proxy on an ephemeral port of 127.0.0.1.
 * @throws when the port cannot be bound.
 */
export async function startWebSocketProxy(options: WebSocketProxyOptions): Promise<WebSocketProxy> {
  const allowedAddress = `${options.target.host}:${options.target.port}`;
  const sockets = new Set<Socket>();
  const webSockets = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server = createServer((_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' }).end('WebSocket upgrade required.\n');
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const address = new URL(request.url ?? '/', 'ws://proxy').searchParams.get('address');
    if (address !== allowedAddress) {
      rejectUpgrade(socket, 403, 'Forbidden');
      return;
    }
    webSockets.handleUpgrade(request, socket, head, (webSocket) => {
      sockets.add(pipe(webSocket, options.target, sockets));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      for (const client of webSockets.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve, reject) => webSockets.close((error) => (error ? reject(error) : resolve())));
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** Joins one WebSocket to a new TCP connection. Whichever side ends first ends the other. */
function pipe(webSocket: WebSocket, target: WebSocketProxyOptions['target'], sockets: Set<Socket>): Socket {
  const socket = connect({ host: target.host, port: target.port, noDelay: true });

  // Writes made before the TCP connection is up are queued by the socket and sent on connect.
  webSocket.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) {
      webSocket.close(unsupportedData, 'Only binary messages are forwarded.');
      return;
    }
    socket.write(toBuffer(data));
  });
  socket.on('data', (chunk: Buffer) => {
    if (webSocket.readyState === webSocket.OPEN) webSocket.send(chunk, { binary: true });
  });

  webSocket.on('close', () => socket.end());
  webSocket.on('error', () => socket.destroy());
  socket.on('error', () => webSocket.terminate());
  socket.on('close', () => {
    sockets.delete(socket);
    if (webSocket.readyState === webSocket.OPEN) webSocket.close();
  });
  return socket;
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
