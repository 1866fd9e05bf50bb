import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { silentLogger } from '../log.js';
import { matrixErrorHandler, MatrixError, toMatrixError, unrecognizedEndpoint } from './errors.js';
import { defineRoute, mountRoutes, Reply, type AnyRoute } from './route.js';

const createRoomBody = z.object({
  name: z.string().optional(),
  visibility: z.enum(['public', 'private']),
  preset: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value === 'weird') ctx.addIssue({ code: 'custom', message: 'no weird presets', params: { errcode: 'M_INVALID_PARAM' } });
    }),
});

const routes: AnyRoute[] = [
  defineRoute({ method: 'GET', path: '/thing', auth: 'none', handler: () => ({ ok: true }) }),
  defineRoute({
    method: 'POST',
    path: '/thing',
    auth: 'none',
    schema: createRoomBody,
    handler: ({ body }) => Reply.json(201, { created: body.visibility, name: body.name ?? null }),
  }),
  defineRoute({
    method: 'GET',
    path: '/search',
    auth: 'none',
    query: z.object({ limit: z.coerce.number().int().positive(), from: z.string().optional() }),
    handler: ({ query }) => ({ limit: query.limit }),
  }),
  defineRoute({
    method: 'PUT',
    path: '/rooms/:roomId/forbidden',
    auth: 'none',
    handler: ({ params }) => {
      throw new MatrixError(403, 'M_FORBIDDEN', `not in ${params.roomId}`, { extra_field: 1 });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/limited',
    auth: 'none',
    handler: () => {
      throw new MatrixError(429, 'M_LIMIT_EXCEEDED', 'slow down', { retry_after_ms: 1500 });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/crash',
    auth: 'none',
    handler: async () => {
      throw new Error('secret database detail');
    },
  }),
];

let baseUrl = '';
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  const app = express();
  const router = express.Router();
  mountRoutes(router, routes, { logger: silentLogger(), maxBodyBytes: 1024, authenticators: {} });
  app.use(router);
  app.use(unrecognizedEndpoint());
  app.use(matrixErrorHandler(silentLogger()));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});

afterAll(() => close());

async function call(method: string, path: string, body?: string | Buffer): Promise<{ status: number; json: Record<string, unknown>; text: string; headers: Headers }> {
  const response = await fetch(`${baseUrl}${path}`, { method, body });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON; tests look at text
  }
  return { status: response.status, json, text, headers: response.headers };
}

describe('unknown endpoints and methods', () => {
  it('answers unknown paths with 404 M_UNRECOGNIZED', async () => {
    const response = await call('GET', '/_matrix/client/v3/nonexistent');
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
  });

  it('answers a known path with the wrong method with 405 M_UNRECOGNIZED', async () => {
    const response = await call('DELETE', '/thing');
    expect(response.status).toBe(405);
    expect(response.json.errcode).toBe('M_UNRECOGNIZED');
    expect(response.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS');
    expect((await call('POST', '/rooms/!a:b/forbidden')).status).toBe(405);
  });
});

describe('JSON bodies', () => {
  it('passes a valid body to the handler and sends its reply', async () => {
    const response = await call('POST', '/thing', JSON.stringify({ visibility: 'public', name: 'x' }));
    expect(response.status).toBe(201);
    expect(response.json).toEqual({ created: 'public', name: 'x' });
  });

  it('gives 400 M_NOT_JSON for unparseable JSON and bad UTF-8', async () => {
    const response = await call('POST', '/thing', '{"visibility": ');
    expect(response.status).toBe(400);
    expect(response.json.errcode).toBe('M_NOT_JSON');
    const badUtf8 = await call('POST', '/thing', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]));
    expect(badUtf8.json.errcode).toBe('M_NOT_JSON');
  });

  it('gives 400 M_MISSING_PARAM for a missing required key', async () => {
    const response = await call('POST', '/thing', '{}');
    expect(response.status).toBe(400);
    expect(response.json.errcode).toBe('M_MISSING_PARAM');
    expect(response.json.error).toMatch(/^visibility: /);
  });

  it('gives 400 M_BAD_JSON for wrong values and non-object bodies', async () => {
    const wrongType = await call('POST', '/thing', JSON.stringify({ visibility: 'public', name: 5 }));
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.errcode).toBe('M_BAD_JSON');
    expect(wrongType.json.error).toMatch(/^name: /);
    expect((await call('POST', '/thing', JSON.stringify({ visibility: 'secret' }))).json.errcode).toBe('M_BAD_JSON');
    expect((await call('POST', '/thing', '[1,2]')).json.errcode).toBe('M_BAD_JSON');
  });

  it('lets a schema pick its errcode', async () => {
    const response = await call('POST', '/thing', JSON.stringify({ visibility: 'public', preset: 'weird' }));
    expect(response.json).toEqual({ errcode: 'M_INVALID_PARAM', error: 'preset: no weird presets' });
  });

  it('gives 413 M_TOO_LARGE over the size limit', async () => {
    const response = await call('POST', '/thing', JSON.stringify({ visibility: 'public', name: 'x'.repeat(2000) }));
    expect(response.status).toBe(413);
    expect(response.json.errcode).toBe('M_TOO_LARGE');
  });
});

describe('query parameters', () => {
  it('validates them: M_MISSING_PARAM when absent, M_INVALID_PARAM when wrong', async () => {
    expect((await call('GET', '/search?limit=5')).json).toEqual({ limit: 5 });
    const missing = await call('GET', '/search');
    expect([missing.status, missing.json.errcode]).toEqual([400, 'M_MISSING_PARAM']);
    const wrong = await call('GET', '/search?limit=abc');
    expect([wrong.status, wrong.json.errcode]).toEqual([400, 'M_INVALID_PARAM']);
  });
});

describe('thrown errors', () => {
  it('sends a MatrixError as {errcode, error, ...extra}', async () => {
    const response = await call('PUT', '/rooms/!room:example.org/forbidden');
    expect(response.status).toBe(403);
    expect(response.json).toEqual({ errcode: 'M_FORBIDDEN', error: 'not in !room:example.org', extra_field: 1 });
  });

  it('adds Retry-After for rate limits', async () => {
    const response = await call('GET', '/limited');
    expect(response.status).toBe(429);
    expect(response.json).toEqual({ errcode: 'M_LIMIT_EXCEEDED', error: 'slow down', retry_after_ms: 1500 });
    expect(response.headers.get('retry-after')).toBe('2');
  });

  it('hides unexpected errors behind a bare 500 with no stack trace or message', async () => {
    const response = await call('GET', '/crash');
    expect(response.status).toBe(500);
    expect(response.json).toEqual({ errcode: 'M_UNKNOWN', error: 'Internal server error' });
    expect(response.text).not.toContain('secret');
    expect(response.text).not.toMatch(/at .*\.ts/);
  });

  it('maps path decoding failures to a 400 without a stack trace', async () => {
    const response = await call('PUT', '/rooms/%E0%A4%A/forbidden');
    expect(response.status).toBe(400);
    expect(response.json.errcode).toBe('M_INVALID_PARAM');
    expect(response.text).not.toContain('    at ');
  });
});

describe('toMatrixError', () => {
  it('keeps MatrixErrors and maps body-parser errors', () => {
    const error = new MatrixError(404, 'M_NOT_FOUND', 'gone');
    expect(toMatrixError(error)).toBe(error);
    expect(toMatrixError({ type: 'entity.too.large', status: 413 }).errcode).toBe('M_TOO_LARGE');
    expect(toMatrixError({ type: 'entity.parse.failed', status: 400 }).errcode).toBe('M_NOT_JSON');
    expect(toMatrixError('a string').status).toBe(500);
  });

  it('never lets extra fields override errcode or error', () => {
    expect(new MatrixError(400, 'M_X', 'msg', { errcode: 'M_Y', error: 'other' }).toJSON()).toEqual({ errcode: 'M_X', error: 'msg' });
  });
});
