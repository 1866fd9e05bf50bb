/**
 * Every JSON response carries `Content-Type: application/json` exactly (no `; charset=utf-8`): successes, Matrix
 * errors, and the errors the HTTP stack raises itself (bad JSON, a body too large, unknown routes and methods,
 * requests Node's parser refuses).
 * https://spec.matrix.org/v1.19/client-server-api/#api-standards
 */
import { connect } from 'node:net';
import { expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver } from './support/homeserver.js';
import { api } from './support/http.js';

const V3 = '/_matrix/client/v3';

/** Sends `request` as raw bytes and reads the whole answer until the server closes the connection. */
function rawRequest(server: TestHomeserver, request: string): Promise<string> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(request);
  });
}

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Record<string, unknown>;
}

function parseRaw(text: string): RawResponse {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = new Map(
    headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) as Record<string, unknown> };
}

forEachDialect(
  'JSON responses: exact Content-Type',
  (server) => {
    it('successes are application/json', async () => {
      const user = await registerUser(server(), uniqueLocalpart('ct'));
      for (const path of ['/_matrix/client/versions', `${V3}/account/whoami`, `${V3}/capabilities`]) {
        const response = await api(server(), 'GET', path, { token: user.accessToken });
        expect(response.status, path).toBe(200);
        expect(response.headers.get('content-type'), path).toBe('application/json');
      }
    });

    it('Matrix errors and UIA challenges are application/json', async () => {
      const challenge = await api(server(), 'POST', `${V3}/register`, { body: {} });
      expect(challenge.status).toBe(401);
      expect(challenge.headers.get('content-type')).toBe('application/json');
      expect(challenge.body.flows).toBeDefined();

      const unauthorised = await api(server(), 'GET', `${V3}/account/whoami`);
      expect(unauthorised.status).toBe(401);
      expect(unauthorised.body.errcode).toBe('M_MISSING_TOKEN');
      expect(unauthorised.headers.get('content-type')).toBe('application/json');
    });

    it('unknown routes and wrong methods are application/json', async () => {
      const unknown = await api(server(), 'GET', '/_matrix/client/v3/no/such/endpoint');
      expect(unknown.status).toBe(404);
      expect(unknown.body.errcode).toBe('M_UNRECOGNIZED');
      expect(unknown.headers.get('content-type')).toBe('application/json');

      const wrongMethod = await api(server(), 'DELETE', '/_matrix/client/versions');
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.body.errcode).toBe('M_UNRECOGNIZED');
      expect(wrongMethod.headers.get('content-type')).toBe('application/json');
    });

    it('bad JSON and bodies over the limit are application/json', async () => {
      const badJson = await api(server(), 'POST', `${V3}/register`, { rawBody: '{"username": ' });
      expect(badJson.status).toBe(400);
      expect(badJson.body.errcode).toBe('M_NOT_JSON');
      expect(badJson.headers.get('content-type')).toBe('application/json');

      const tooLarge = await api(server(), 'POST', `${V3}/register`, { body: { username: 'x'.repeat(5_000) } });
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.body.errcode).toBe('M_TOO_LARGE');
      expect(tooLarge.headers.get('content-type')).toBe('application/json');
    });

    it('requests the HTTP parser refuses get a JSON Matrix error too', async () => {
      const malformed = parseRaw(await rawRequest(server(), 'GET /_matrix/client/versions HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n'));
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('content-type')).toBe('application/json');
      expect(malformed.headers.get('access-control-allow-origin')).toBe('*');
      expect(malformed.body.errcode).toBe('M_UNKNOWN');

      const hugeHeaders = parseRaw(
        await rawRequest(server(), `GET /_matrix/client/versions HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(20_000)}\r\n\r\n`),
      );
      expect(hugeHeaders.status).toBe(431);
      expect(hugeHeaders.headers.get('content-type')).toBe('application/json');
      expect(hugeHeaders.body.errcode).toBe('M_TOO_LARGE');
    });

    it('rate limit errors are application/json', async () => {
      let limited: Awaited<ReturnType<typeof api>> | undefined;
      for (let i = 0; i < 10 && !limited; i++) {
        const response = await api(server(), 'POST', `${V3}/login`, {
          body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'nobody' }, password: 'wrong' },
        });
        if (response.status === 429) limited = response;
      }
      expect(limited?.body.errcode).toBe('M_LIMIT_EXCEEDED');
      expect(limited?.headers.get('content-type')).toBe('application/json');
    });
  },
  { config: { max_request_body_bytes: 1_000, rate_limits: { enabled: true, login: { per_second: 0.01, burst_count: 3 } } } },
);
