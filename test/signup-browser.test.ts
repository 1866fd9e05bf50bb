/**
 * Issue 9: a headless Chromium signs up through Element's order of requests, cross-origin (CORS preflights
 * included), against a homeserver with its DEFAULT rate limits, and succeeds first time without a 429.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from './support/browser.js';
import { startTestHomeserver, uniqueLocalpart, type TestHomeserver } from './support/start.js';

interface Step {
  name: string;
  status: number;
  body: Record<string, unknown>;
}

/** The page's script: Element's sign-up requests, one availability check per keystroke. */
const SIGNUP_SCRIPT = `
async function call(steps, name, method, url, body, token) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token !== undefined) headers['Authorization'] = 'Bearer ' + token;
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await response.json().catch(() => ({}));
  steps.push({ name, status: response.status, body: json });
  return json;
}
window.signUp = async (hs, username, password) => {
  const steps = [];
  const register = hs + '/_matrix/client/v3/register';
  await call(steps, 'flows', 'POST', register, {});
  for (let i = 1; i <= username.length; i++) {
    await call(steps, 'available', 'GET', hs + '/_matrix/client/v3/register/available?username=' + encodeURIComponent(username.slice(0, i)));
  }
  const challenge = await call(steps, 'register-no-auth', 'POST', register, { username, password, initial_device_display_name: 'Chromium' });
  const done = await call(steps, 'register-dummy', 'POST', register, { username, password, initial_device_display_name: 'Chromium', auth: { type: 'm.login.dummy', session: challenge.session } });
  await call(steps, 'whoami', 'GET', hs + '/_matrix/client/v3/account/whoami', undefined, done.access_token);
  return steps;
};
`;

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>sign up</title><script>${SIGNUP_SCRIPT}</script></head><body>sign up</body></html>`;

describe('sign-up from a headless browser with default rate limits', () => {
  let homeserver: TestHomeserver;
  let pageServer: Server;
  let pageUrl: string;
  let chromium: TestBrowser;

  beforeAll(async () => {
    // Default rate limits: startTestHomeserver turns them off unless `rate_limits` is given.
    homeserver = await startTestHomeserver({ config: { rate_limits: { enabled: true } } });
    pageServer = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(PAGE);
    });
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    // "localhost" vs the homeserver's 127.0.0.1: a different origin, so every fetch is cross-origin.
    pageUrl = `http://localhost:${(pageServer.address() as AddressInfo).port}/`;
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await new Promise<void>((resolve) => (pageServer ? pageServer.close(() => resolve()) : resolve()));
    await homeserver?.close();
  });

  it('registers first time through flows, availability checks, UIA and whoami', async () => {
    const page = await chromium.context.newPage();
    await page.goto(pageUrl);
    const username = uniqueLocalpart('alice').slice(0, 12);
    const password = 'correct horse battery staple';
    const steps = (await page.evaluate(
      ([hs, user, pass]) => (globalThis as unknown as { signUp(a: string, b: string, c: string): Promise<unknown> }).signUp(hs, user, pass),
      [homeserver.url, username, password] as const,
    )) as Step[];

    expect(steps.filter((step) => step.status === 429)).toEqual([]);
    const [flows, ...rest] = steps;
    expect(flows?.name).toBe('flows');
    expect(flows?.status).toBe(401);
    expect(flows?.body.flows).toEqual(expect.arrayContaining([{ stages: ['m.login.dummy'] }]));

    const availability = rest.filter((step) => step.name === 'available');
    expect(availability).toHaveLength(username.length);
    expect(availability.length).toBeGreaterThanOrEqual(8);
    for (const step of availability) expect(step).toMatchObject({ status: 200, body: { available: true } });

    const noAuth = steps.find((step) => step.name === 'register-no-auth');
    expect(noAuth?.status).toBe(401);
    expect(typeof noAuth?.body.session).toBe('string');

    const registered = steps.find((step) => step.name === 'register-dummy');
    expect(registered?.status).toBe(200);
    expect(registered?.body.user_id).toBe(`@${username}:${homeserver.serverName}`);

    const whoami = steps.find((step) => step.name === 'whoami');
    expect(whoami).toMatchObject({ status: 200, body: { user_id: `@${username}:${homeserver.serverName}` } });

    // The page is on another origin: had a CORS preflight or response header been refused, fetch would have
    // rejected and evaluate() thrown, so every step above passed the browser's CORS checks.
    expect(new URL(pageUrl).origin).not.toBe(new URL(homeserver.url).origin);
    await page.close();
  }, 60_000);
});
