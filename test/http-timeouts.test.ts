/**
 * Slow clients cannot hold sockets: a request whose headers or body trickle in slower than `http.headers_timeout_ms`
 * / `http.request_timeout_ms` allow is answered 408 and its connection closed, while other clients are served.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHomeserver, type TestHomeserver } from './support/homeserver.js';

let server: TestHomeserver;

beforeAll(async () => {
  server = await startTestHomeserver({ config: { http: { request_timeout_ms: 1_000, headers_timeout_ms: 500 } } });
});

afterAll(async () => {
  await server.close();
});

/** Opens a raw connection to the test server. */
function openSocket(): Promise<Socket> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends until it closes the connection (rejects if it is still open after `limitMs`). */
function readUntilClosed(socket: Socket, limitMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connection still open after ${limitMs} ms; received: ${JSON.stringify(received)}`));
    }, limitMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

describe('HTTP timeouts', () => {
  it('closes a connection whose body trickles in, with 408', async () => {
    const socket = await openSocket();
    const closed = readUntilClosed(socket, 10_000);
    socket.write('POST /_matrix/client/v3/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    // One byte every 200 ms keeps the socket busy but never finishes the body.
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(' ');
    }, 200);
    try {
      expect(await closed).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
    }
  });

  it('closes a connection whose headers never end, with 408', async () => {
    const socket = await openSocket();
    const closed = readUntilClosed(socket, 10_000);
    socket.write('GET /_matrix/client/versions HTTP/1.1\r\nHost: x\r\n');
    expect(await closed).toMatch(/^HTTP\/1\.1 408/);
  });

  it('keeps answering other clients meanwhile', async () => {
    const slow = await openSocket();
    slow.write('POST /_matrix/client/v3/login HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
    const response = await fetch(`${server.url}/_matrix/client/versions`);
    expect(response.status).toBe(200);
    slow.destroy();
  });
});
