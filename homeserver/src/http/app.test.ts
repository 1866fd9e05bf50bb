import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey } from '@parley/federation';
import { manualClock } from '../clock.js';
import { createLogger } from '../log.js';
import { createServerKeys } from '../services/federation/index.js';
import { createApp, CORS_HEADERS } from './app.js';
import { createHttpMetrics } from './metrics.js';
import { defineRoute, mountRoutes, type AnyRoute } from './route.js';
import { hostAndPort } from './well-known.js';

const logLines: Array<Record<string, unknown>> = [];
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});

let baseUrl = '';
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  const app = createApp({
    config: {
      public_baseurl: 'https://matrix.example.org',
      well_known: { server_delegation: 'fed.example.org:8448' },
      max_request_body_bytes: 1000,
    },
    logger: createLogger({ level: 'debug', destination: logSink }),
    metrics: createHttpMetrics(),
    serverKeys: createServerKeys({
      serverName: 'example.org',
      signingKey: generateSigningKey('test'),
      oldVerifyKeys: {},
      clock: manualClock(1_000_000),
    }),
    software: { name: 'Parley', version: '9.9.9' },
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});

afterAll(() => close());

async function getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('built-in endpoints', () => {
  it('GET /_matrix/client/versions lists r0.0.1 through v1.19', async () => {
    const { status, body } = await getJson('/_matrix/client/versions');
    expect(status).toBe(200);
    const versions = body.versions as string[];
    expect(versions[0]).toBe('r0.0.1');
    expect(versions).toContain('r0.6.1');
    expect(versions.at(-1)).toBe('v1.19');
    expect(versions.filter((version) => version.startsWith('v1.'))).toHaveLength(19);
    expect(body.unstable_features).toEqual({ 'org.matrix.msc4089': true });
  });

  it('serves the well-known documents', async () => {
    expect((await getJson('/.well-known/matrix/client')).body).toEqual({ 'm.homeserver': { base_url: 'https://matrix.example.org' } });
    expect((await getJson('/.well-known/matrix/server')).body).toEqual({ 'm.server': 'fed.example.org:8448' });
  });

  it('serves the key document, also at the legacy {keyId} path', async () => {
    const { body } = await getJson('/_matrix/key/v2/server');
    expect(body.server_name).toBe('example.org');
    expect(Object.keys(body.verify_keys as object)).toEqual(['ed25519:test']);
    expect(body.valid_until_ts).toBe(1_000_000 + 24 * 60 * 60 * 1000);
    expect(Object.keys((body.signatures as Record<string, object>)['example.org'] as object)).toEqual(['ed25519:test']);
    expect((await getJson('/_matrix/key/v2/server/ed25519:test')).body).toEqual(body);
  });

  it('GET /_matrix/federation/v1/version names the software', async () => {
    expect((await getJson('/_matrix/federation/v1/version')).body).toEqual({ server: { name: 'Parley', version: '9.9.9' } });
  });

  it('GET /health answers OK in plain text', async () => {
    const response = await fetch(`${baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe('OK');
  });

  it('GET /metrics has default metrics and requests by route pattern and status', async () => {
    await fetch(`${baseUrl}/_matrix/client/versions`);
    await fetch(`${baseUrl}/no/such/path/12345`);
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(text).toContain('parley_process_cpu_user_seconds_total');
    expect(text).toMatch(/parley_http_request_duration_seconds_count\{method="GET",route="\/_matrix\/client\/versions",status="200"\} \d+/);
    expect(text).toMatch(/parley_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} \d+/);
    expect(text).not.toContain('12345');
  });
});

describe('CORS', () => {
  it('puts the spec headers on every response, errors included', async () => {
    for (const path of ['/_matrix/client/versions', '/unknown']) {
      const response = await fetch(`${baseUrl}${path}`);
      for (const [name, value] of Object.entries(CORS_HEADERS)) expect(response.headers.get(name)).toBe(value);
    }
  });

  it('answers OPTIONS preflight for any path with 204 and no body, r0 and unknown paths included', async () => {
    for (const path of ['/_matrix/client/v3/rooms/!a:b/send/m.room.message/1', '/_matrix/client/r0/sync', '/no/such/path']) {
      const response = await fetch(`${baseUrl}${path}`, { method: 'OPTIONS', headers: { Authorization: 'Bearer nonsense' } });
      expect({ path, status: response.status, body: await response.text() }).toEqual({ path, status: 204, body: '' });
      expect(response.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST, PUT, DELETE, OPTIONS');
      expect(response.headers.get('access-control-allow-headers')).toBe('X-Requested-With, Content-Type, Authorization');
    }
  });
});

describe('request logging', () => {
  it('logs each request at debug as fields, without the query string', async () => {
    await fetch(`${baseUrl}/_matrix/client/versions?access_token=secret`);
    const line = logLines.find((entry) => entry.msg === 'request' && entry.path === '/_matrix/client/versions');
    expect(line).toMatchObject({ level: 20, method: 'GET', route: '/_matrix/client/versions', status: 200 });
    expect(typeof line?.reqId).toBe('string');
    expect(JSON.stringify(logLines)).not.toContain('secret');
  });
});

describe('route table', () => {
  it('refuses to mount a route whose auth kind has no authenticator', () => {
    const route = defineRoute({ method: 'GET', path: '/x', auth: 'none', handler: () => ({}) });
    const needsUser = { ...route, auth: 'user' } as unknown as AnyRoute;
    expect(() => mountRoutes(express.Router(), [needsUser], { logger: createLogger({ level: 'silent' }), maxBodyBytes: 1, authenticators: {} })).toThrow(
      /needs auth "user"/,
    );
  });
});

describe('hostAndPort', () => {
  it('makes the default port explicit', () => {
    expect(hostAndPort('https://matrix.example.org')).toBe('matrix.example.org:443');
    expect(hostAndPort('http://127.0.0.1:8008/')).toBe('127.0.0.1:8008');
  });
});
