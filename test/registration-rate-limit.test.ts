/**
 * Sign-up through any client with the default rate limits: the `register` limit counts only accounts created
 * and failed auth stages, per address; flow discovery, the UIA rounds and `GET /register/available` have their
 * own generous `registration_requests` limit; password guessing on /login stays limited.
 * https://spec.matrix.org/v1.19/client-server-api/#rate-limiting
 */
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { createRegistrationToken } from '@parley/homeserver';
import { forEachDialect, uniqueLocalpart, type TestHomeserver } from './support/homeserver.js';

const V3 = '/_matrix/client/v3';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A request from client address `ip` (the server trusts X-Forwarded-For in these suites). */
async function from(server: TestHomeserver, ip: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { 'X-Forwarded-For': ip };
  if (method === 'POST') headers['Content-Type'] = 'application/json';
  const response = await fetch(`${server.url}${path}`, { method, headers, body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A fresh client address for each test, so tests sharing a server do not share counters. */
function freshIp(): string {
  const bytes = randomBytes(3);
  return `10.${bytes[0]}.${bytes[1]}.${bytes[2]}`;
}

/**
 * Element's sign-up: flows, availability checks while the user types, the parameters without auth (401 with a
 * session), then the dummy stage. Returns the last answer.
 */
async function signUpAsElement(server: TestHomeserver, ip: string, localpart: string, options: { checks?: number } = {}): Promise<Answer> {
  const flows = await from(server, ip, 'POST', `${V3}/register`, {});
  expect(flows.status).toBe(401);
  // One check per character typed, unless fewer are asked for (the last always checks the whole name).
  const checks = Math.min(options.checks ?? localpart.length, localpart.length);
  for (let typed = localpart.length - checks + 1; typed <= localpart.length; typed++) {
    const available = await from(server, ip, 'GET', `${V3}/register/available?username=${localpart.slice(0, typed)}`);
    expect(available.status).toBe(200);
  }
  const params = { username: localpart, password: `secret-${localpart}`, initial_device_display_name: 'Element' };
  const challenge = await from(server, ip, 'POST', `${V3}/register`, params);
  expect(challenge.status).toBe(401);
  expect(typeof challenge.body.session).toBe('string');
  return from(server, ip, 'POST', `${V3}/register`, { ...params, auth: { type: 'm.login.dummy', session: challenge.body.session } });
}

forEachDialect(
  'registration rate limits (defaults)',
  (server) => {
    it("Element's whole sign-up succeeds first time", async () => {
      const localpart = uniqueLocalpart('a-rather-long-name-typed-slowly');
      const done = await signUpAsElement(server(), freshIp(), localpart);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body.user_id).toBe(`@${localpart}:${server().serverName}`);
      const whoami = await fetch(`${server().url}${V3}/account/whoami`, { headers: { Authorization: `Bearer ${String(done.body.access_token)}` } });
      expect(whoami.status).toBe(200);
    });

    it('five accounts from one address in a row succeed, the sixth waits', async () => {
      const ip = freshIp();
      for (let account = 0; account < 5; account++) {
        const localpart = uniqueLocalpart(`signup${account}`);
        const done = await signUpAsElement(server(), ip, localpart, { checks: 5 });
        expect(done.status, JSON.stringify(done.body)).toBe(200);
        expect(done.body.user_id).toBe(`@${localpart}:${server().serverName}`);
      }
      // Created accounts do count: the sixth in a row from the same address waits.
      const sixth = await signUpAsElement(server(), ip, uniqueLocalpart('signup5'), { checks: 5 });
      expect(sixth.status).toBe(429);
      expect(sixth.body.errcode).toBe('M_LIMIT_EXCEEDED');
      expect(sixth.body.retry_after_ms).toBeGreaterThan(0);
      // Another address is not affected.
      expect((await signUpAsElement(server(), freshIp(), uniqueLocalpart('other'))).status).toBe(200);
    });

    it('flow discovery and availability checks do not use up the register limit', async () => {
      const ip = freshIp();
      for (let i = 0; i < 30; i++) {
        expect((await from(server(), ip, 'POST', `${V3}/register`, {})).status).toBe(401);
        expect((await from(server(), ip, 'GET', `${V3}/register/available?username=${uniqueLocalpart('probe')}`)).status).toBe(200);
      }
      const done = await signUpAsElement(server(), ip, uniqueLocalpart('after-probes'));
      expect(done.status, JSON.stringify(done.body)).toBe(200);
    });

    it('a registration that creates no account (name taken) is not counted', async () => {
      const ip = freshIp();
      const taken = uniqueLocalpart('taken');
      expect((await signUpAsElement(server(), ip, taken)).status).toBe(200);
      for (let i = 0; i < 8; i++) {
        const again = await from(server(), ip, 'POST', `${V3}/register`, { username: taken, password: 'x', auth: { type: 'm.login.dummy' } });
        expect(again.status).toBe(400);
        expect(again.body.errcode).toBe('M_USER_IN_USE');
      }
      expect((await signUpAsElement(server(), ip, uniqueLocalpart('still-free'))).status).toBe(200);
    });

    it('password guessing on /login is still limited', async () => {
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const login = await from(server(), ip, 'POST', `${V3}/login`, {
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: uniqueLocalpart('nobody') },
          password: 'guess',
        });
        statuses.push(login.status);
      }
      expect(statuses.slice(0, 5)).toEqual([403, 403, 403, 403, 403]);
      expect(statuses.at(-1)).toBe(429);
    });
  },
  { config: { http: { trust_proxy: true }, rate_limits: { enabled: true } } },
);

forEachDialect(
  'registration rate limits: failed token stages count',
  (server) => {
    it('wrong registration tokens use up the register limit; then even the right one waits', async () => {
      const token = await createRegistrationToken(server().server.config, {});
      const ip = freshIp();
      const start = await from(server(), ip, 'POST', `${V3}/register`, { username: uniqueLocalpart('guesser'), password: 'pw' });
      expect(start.status).toBe(401);
      const session = start.body.session as string;
      for (let guess = 0; guess < 5; guess++) {
        const wrong = await from(server(), ip, 'POST', `${V3}/register`, { auth: { type: 'm.login.registration_token', token: `guess-${guess}`, session } });
        expect(wrong.status).toBe(401);
        expect(wrong.body.errcode).toBe('M_FORBIDDEN');
      }
      const limited = await from(server(), ip, 'POST', `${V3}/register`, { auth: { type: 'm.login.registration_token', token: token.token, session } });
      expect(limited.status).toBe(429);
      expect(limited.body.errcode).toBe('M_LIMIT_EXCEEDED');
      // From another address the right token works at once.
      const other = await from(server(), freshIp(), 'POST', `${V3}/register`, {
        username: uniqueLocalpart('invited'),
        password: 'pw',
        auth: { type: 'm.login.registration_token', token: token.token },
      });
      expect(other.status, JSON.stringify(other.body)).toBe(200);
    });
  },
  { config: { http: { trust_proxy: true }, registration: { mode: 'token' }, rate_limits: { enabled: true } } },
);

const BURST = 3;

forEachDialect(
  `registration_requests limit (burst ${BURST})`,
  (server) => {
    it('limits availability checks and flow discovery together, per address', async () => {
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i < BURST; i++) statuses.push((await from(server(), ip, 'GET', `${V3}/register/available?username=u${i}`)).status);
      statuses.push((await from(server(), ip, 'POST', `${V3}/register`, {})).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect((await from(server(), freshIp(), 'POST', `${V3}/register`, {})).status).toBe(401);
    });
  },
  { config: { http: { trust_proxy: true }, rate_limits: { enabled: true, registration_requests: { per_second: 0.01, burst_count: BURST } } } },
);
