/**
 * The r0 aliases: every endpoint of Client-Server API r0.6.1 answers under `/_matrix/client/r0` (content repository:
 * `/_matrix/media/r0`) exactly as under v3, endpoints new in v1.x do not, and a client speaking only r0 can register,
 * log in, create a room, send, sync and paginate.
 * https://spec.matrix.org/v1.19/client-server-api/#api-standards
 */
import { describe, expect, it } from 'vitest';
import { R0_CLIENT_TREES, R0_ENDPOINTS, type R0Endpoint } from '../homeserver/src/http/r0-aliases.js';
import { clientRoutes } from '../homeserver/src/http/routes.js';
import type { Services } from '../homeserver/src/services/registry.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestUser } from './support/homeserver.js';
import { api, type ApiResponse } from './support/http.js';

const SAMPLE_PARAMS: Record<string, string> = {
  roomId: '!nowhere:localhost',
  roomIdOrAlias: '!nowhere:localhost',
  roomAlias: '#nowhere:localhost',
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
  ruleId: '.m.rule.master',
  networkId: 'irc',
  protocol: 'irc',
  serverName: 'localhost',
  mediaId: 'nomedia',
  fileName: 'file.txt',
};

/**
 * v3 routes of Parley that are new in v1.x (by prefix), so have no r0 alias. Every other v3 route must answer under r0: a route
 * missing from the alias table fails the check below.
 */
const NEW_IN_V1: readonly string[] = [
  'POST /keys/device_signing/upload',
  'POST /keys/signatures/upload',
  'POST /knock/:roomIdOrAlias',
  'POST /refresh',
  'GET /room_keys/',
  'PUT /room_keys/',
  'POST /room_keys/',
  'DELETE /room_keys/',
  'POST /rooms/:roomId/report',
  'POST /users/:userId/report',
];

function concrete(path: string, userId: string): string {
  return path.replace(/\{([A-Za-z]+)\}/g, (_, name: string) => encodeURIComponent(name === 'userId' ? userId : (SAMPLE_PARAMS[name] ?? 'x')));
}

function prefixes(api: R0Endpoint['api']): { r0: string; v3: string } {
  return api === 'client' ? { r0: '/_matrix/client/r0', v3: '/_matrix/client/v3' } : { r0: '/_matrix/media/r0', v3: '/_matrix/media/v3' };
}

/** What must be equal under r0 and v3 (bodies differ in IDs, tokens and UIA sessions). */
function outcome(response: ApiResponse): { status: number; errcode: unknown } {
  return { status: response.status, errcode: response.body.errcode };
}

describe('the r0 alias table', () => {
  it('holds the 116 endpoints of r0.6.1 (and the drill-down and state-key forms they describe)', () => {
    expect(R0_ENDPOINTS.length).toBe(120);
    expect(new Set(R0_ENDPOINTS.map((e) => `${e.api} ${e.method} ${e.path}`)).size).toBe(R0_ENDPOINTS.length);
  });

  it('covers every v3 route of Parley that r0.6.1 had', () => {
    const aliased = [
      ...R0_ENDPOINTS.filter((e) => e.api === 'client').map((e) => new RegExp(`^${e.path.replace(/\{[^}]+\}/g, '[^/]+')}$`)),
      ...R0_CLIENT_TREES.map((tree) => new RegExp(`^${tree}(/.*)?$`)),
    ];
    const v3 = clientRoutes({} as Services).filter((route) => route.path.startsWith('/_matrix/client/v3/'));
    const missing = v3
      .map((route) => {
        const path = route.path.slice('/_matrix/client/v3'.length);
        // A profile key stands for displayname and avatar_url, which r0.6.1 had; an optional segment is left out.
        const sample = path.replace(/\{\/[:*][A-Za-z]+\}/g, '').replace(':keyName', 'displayname').replace(/:[A-Za-z]+/g, 'x');
        return { name: `${route.method} ${path}`, sample };
      })
      .filter(({ name, sample }) => !NEW_IN_V1.some((prefix) => name.startsWith(prefix)) && !aliased.some((pattern) => pattern.test(sample)));
    expect(missing.map(({ name }) => name)).toEqual([]);
  });
});

forEachDialect('r0 paths', (server) => {
  let user: TestUser | undefined;
  async function caller(): Promise<TestUser> {
    user ??= await registerUser(server(), uniqueLocalpart('r0'));
    return user;
  }

  it.each(R0_ENDPOINTS.map((e) => [e.method, e.api, e.path] as const))('%s %s %s answers under r0 as under v3', async (method, apiName, path) => {
    const destructive = path === '/logout' || path === '/logout/all';
    // Logging out ends the token: each call then gets a user of its own.
    const tokenFor = async (): Promise<string> => (destructive ? (await registerUser(server(), uniqueLocalpart('out'))).accessToken : (await caller()).accessToken);
    const me = await caller();
    const body = method === 'GET' || method === 'DELETE' ? undefined : {};
    const { r0, v3 } = prefixes(apiName);
    // GET /events long-polls (30 s by default): ask it to answer at once.
    const query = path === '/events' ? '?timeout=0' : '';
    const viaV3 = await api(server(), method, v3 + concrete(path, me.userId) + query, { token: await tokenFor(), body });
    const viaR0 = await api(server(), method, r0 + concrete(path, me.userId) + query, { token: await tokenFor(), body });
    expect(outcome(viaR0)).toEqual(outcome(viaV3));
  });

  it('implemented r0.6.1 endpoints are served, not unknown', async () => {
    const me = await caller();
    for (const [method, path] of [['GET', '/joined_rooms'], ['GET', '/account/whoami'], ['GET', '/pushrules/'], ['GET', '/capabilities'], ['GET', '/devices']] as const) {
      const response = await api(server(), method, `/_matrix/client/r0${path}`, { token: me.accessToken });
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
    }
    expect((await api(server(), 'GET', '/_matrix/client/r0/account/whoami', { token: me.accessToken })).body.user_id).toBe(me.userId);
  });

  it('endpoints new in v1.x and unknown paths are 404 M_UNRECOGNIZED under r0', async () => {
    const me = await caller();
    for (const [method, path] of [
      ['POST', '/refresh'],
      ['GET', '/room_keys/version'],
      ['POST', '/keys/device_signing/upload'],
      ['POST', '/knock/%21nowhere%3Alocalhost'],
      ['GET', '/profile/%40a%3Alocalhost/m.tz'],
      ['GET', '/rooms/%21a%3Alocalhost/relations/%24e'],
      ['GET', '/no/such/endpoint'],
    ] as const) {
      const response = await api(server(), method, `/_matrix/client/r0${path}`, { token: me.accessToken, body: method === 'POST' ? {} : undefined });
      expect({ path, ...outcome(response) }).toEqual({ path, status: 404, errcode: 'M_UNRECOGNIZED' });
    }
  });

  it('serves the whole /pushrules tree, malformed paths included', async () => {
    const me = await caller();
    for (const path of ['/pushrules/global/override/', '/pushrules/global/override/.m.rule.master/extra']) {
      const viaV3 = await api(server(), 'GET', `/_matrix/client/v3${path}`, { token: me.accessToken });
      const viaR0 = await api(server(), 'GET', `/_matrix/client/r0${path}`, { token: me.accessToken });
      expect({ path, ...outcome(viaR0) }).toEqual({ path, ...outcome(viaV3) });
      expect(viaR0.status).not.toBe(404);
    }
  });

  it('a wrong method on an aliased path is 405 M_UNRECOGNIZED, as under v3', async () => {
    const me = await caller();
    const response = await api(server(), 'DELETE', '/_matrix/client/r0/sync', { token: me.accessToken });
    expect(outcome(response)).toEqual({ status: 405, errcode: 'M_UNRECOGNIZED' });
  });

  it('a client speaking only r0 registers, logs in, creates a room, sends, syncs and paginates', async () => {
    const r0 = '/_matrix/client/r0';
    const localpart = uniqueLocalpart('nio');
    const registered = await api(server(), 'POST', `${r0}/register`, { body: { username: localpart, password: 'secret-password', auth: { type: 'm.login.dummy' } } });
    expect(registered.status).toBe(200);
    const userId = registered.body.user_id as string;
    expect(userId).toBe(`@${localpart}:${server().serverName}`);

    const flows = await api(server(), 'GET', `${r0}/login`);
    expect(flows.body.flows).toContainEqual(expect.objectContaining({ type: 'm.login.password' }));
    const login = await api(server(), 'POST', `${r0}/login`, {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password: 'secret-password' },
    });
    expect(login.status).toBe(200);
    expect(login.body.user_id).toBe(userId);
    const token = login.body.access_token as string;

    const created = await api(server(), 'POST', `${r0}/createRoom`, { token, body: { name: 'old school' } });
    expect(created.status).toBe(200);
    const room = encodeURIComponent(created.body.room_id as string);
    const sent = await api(server(), 'PUT', `${r0}/rooms/${room}/send/m.room.message/t1`, { token, body: { msgtype: 'm.text', body: 'hello from r0' } });
    expect(sent.status).toBe(200);
    const eventId = sent.body.event_id as string;

    const sync = await api(server(), 'GET', `${r0}/sync?timeout=0`, { token });
    expect(sync.status).toBe(200);
    const joined = (sync.body.rooms as { join: Record<string, { timeline: { events: { event_id: string }[] } }> }).join;
    expect(joined[created.body.room_id as string]?.timeline.events.map((event) => event.event_id)).toContain(eventId);

    const messages = await api(server(), 'GET', `${r0}/rooms/${room}/messages?dir=b&limit=1`, { token });
    expect(messages.status).toBe(200);
    expect((messages.body.chunk as { event_id: string; content: { body: string } }[]).map((event) => [event.event_id, event.content.body])).toEqual([
      [eventId, 'hello from r0'],
    ]);
    const state = await api(server(), 'GET', `${r0}/rooms/${room}/state/m.room.name/`, { token });
    expect(state.body).toEqual({ name: 'old school' });
  });
});
