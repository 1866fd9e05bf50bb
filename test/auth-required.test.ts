/**
 * Every Client-Server route that needs an access token refuses a missing one with 401 M_MISSING_TOKEN and an
 * unknown one with 401 M_UNKNOWN_TOKEN. The list of routes comes from the live route table, so a new endpoint is
 * covered the moment it is added.
 */
import { describe, expect, it } from 'vitest';
import { clientRoutes } from '../homeserver/src/http/routes.js';
import type { Services } from '../homeserver/src/services/registry.js';
import { forEachDialect } from './support/homeserver.js';
import { api } from './support/http.js';

const SAMPLE_PARAMS: Record<string, string> = {
  roomId: '!nowhere:localhost',
  roomIdOrAlias: '!nowhere:localhost',
  roomAlias: '#nowhere:localhost',
  userId: '@nobody:localhost',
  eventId: '$nothing',
  eventType: 'm.room.topic',
  type: 'org.example.type',
  stateKey: '',
  txnId: 'txn1',
  receiptType: 'm.read',
  deviceId: 'NODEVICE',
  filterId: '1',
  tag: 'u.work',
  scope: 'global',
  kind: 'override',
  ruleId: 'rule',
  keyName: 'displayname',
  relType: 'm.thread',
};

/** Turns an express path (`/rooms/:roomId/state/:eventType{/:stateKey}`) into a concrete URL path. */
function concretePath(pattern: string): string {
  return pattern
    .replace(/\{[^}]*\}/g, '')
    .replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(SAMPLE_PARAMS[name] ?? 'x'));
}

// The route table only closes over the services; listing it needs none.
// `userEvenIfLocked` (logout) needs a valid token too; it only lets a locked account through.
const routes = clientRoutes({} as Services).filter((route) => route.auth === 'user' || route.auth === 'userEvenIfLocked');

describe('the authenticated route table', () => {
  it('is not empty (the check below covers real routes)', () => {
    expect(routes.length).toBeGreaterThan(40);
  });
});

forEachDialect('access tokens are required', (server) => {
  it.each(routes.map((route) => [route.method, route.path] as const))('%s %s', async (method, path) => {
    const body = method === 'GET' || method === 'DELETE' ? undefined : {};
    const missing = await api(server(), method, concretePath(path), { body });
    expect(missing.status, 'missing token').toBe(401);
    expect(missing.body.errcode).toBe('M_MISSING_TOKEN');
    const unknown = await api(server(), method, concretePath(path), { body, token: 'not-a-real-token' });
    expect(unknown.status, 'unknown token').toBe(401);
    expect(unknown.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });
});
