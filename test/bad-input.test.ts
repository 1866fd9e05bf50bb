/**
 * Bad input for every Client-Server endpoint family, and reads/writes by a user outside the room: each request
 * gets the spec's status and errcode, and afterwards the server still answers and nothing was written (the room's
 * state and history, the user's account data, profile, tags, push rules and devices are as before).
 * https://spec.matrix.org/v1.19/client-server-api/#api-standards
 */
import { beforeAll, expect, it } from 'vitest';
import { api } from './support/http.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';

const MAX_BODY = 4096;
const enc = encodeURIComponent;

/** What the cases refer to, made once per server. */
interface World {
  alice: TestUser;
  bob: TestUser;
  /** In no room of alice's. */
  mallory: TestUser;
  /** Private room of alice (creator) and bob. */
  room: string;
  /** A message of alice's in `room`. */
  event: string;
  /** A public, world_readable room of alice's. */
  open: string;
  /** A message in `open`. */
  openEvent: string;
  /** A well-formed ID of a room that does not exist. */
  unknownRoom: string;
}

type Who = 'alice' | 'mallory' | 'none';

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: (w: World) => string;
  /** JSON body, or a function building it; a string is sent as is (malformed JSON). */
  body?: unknown;
  as?: Who;
  status: number;
  errcode: string | null;
}

const NOT_JSON = '{"msgtype": "m.text", "body": ';
const HUGE = { msgtype: 'm.text', body: 'x'.repeat(MAX_BODY * 2) };
const r = (w: World): string => `/v3/rooms/${enc(w.room)}`;
const u = (w: World): string => enc(w.alice.userId);

/** One concise table: [name, method, path, body, status, errcode, as]. */
const table: [string, Case['method'], (w: World) => string, unknown, number, string | null, Who?][] = [
  // Malformed JSON: 400 M_NOT_JSON, for every family that takes a body.
  ['register: not JSON', 'POST', () => '/v3/register', NOT_JSON, 400, 'M_NOT_JSON', 'none'],
  ['login: not JSON', 'POST', () => '/v3/login', NOT_JSON, 400, 'M_NOT_JSON', 'none'],
  ['account/password: not JSON', 'POST', () => '/v3/account/password', NOT_JSON, 400, 'M_NOT_JSON'],
  ['devices: not JSON', 'PUT', (w) => `/v3/devices/${enc(w.alice.deviceId)}`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['createRoom: not JSON', 'POST', () => '/v3/createRoom', NOT_JSON, 400, 'M_NOT_JSON'],
  ['join: not JSON', 'POST', (w) => `/v3/join/${enc(w.room)}`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['invite: not JSON', 'POST', (w) => `${r(w)}/invite`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['kick: not JSON', 'POST', (w) => `${r(w)}/kick`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['ban: not JSON', 'POST', (w) => `${r(w)}/ban`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['leave: not JSON', 'POST', (w) => `${r(w)}/leave`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['send: not JSON', 'PUT', (w) => `${r(w)}/send/m.room.message/nj1`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['state: not JSON', 'PUT', (w) => `${r(w)}/state/m.room.topic`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['redact: not JSON', 'PUT', (w) => `${r(w)}/redact/${enc(w.event)}/nj2`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['receipt: not JSON', 'POST', (w) => `${r(w)}/receipt/m.read/${enc(w.event)}`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['typing: not JSON', 'PUT', (w) => `${r(w)}/typing/${u(w)}`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['presence: not JSON', 'PUT', (w) => `/v3/presence/${u(w)}/status`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['read_markers: not JSON', 'POST', (w) => `${r(w)}/read_markers`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['profile: not JSON', 'PUT', (w) => `/v3/profile/${u(w)}/displayname`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['account data: not JSON', 'PUT', (w) => `/v3/user/${u(w)}/account_data/org.parley.test`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['room account data: not JSON', 'PUT', (w) => `/v3/user/${u(w)}/rooms/${enc(w.room)}/account_data/org.parley.test`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['tags: not JSON', 'PUT', (w) => `/v3/user/${u(w)}/rooms/${enc(w.room)}/tags/u.work`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['filter: not JSON', 'POST', (w) => `/v3/user/${u(w)}/filter`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['pushrules: not JSON', 'PUT', () => '/v3/pushrules/global/override/bad', NOT_JSON, 400, 'M_NOT_JSON'],
  ['search: not JSON', 'POST', () => '/v3/search', NOT_JSON, 400, 'M_NOT_JSON'],
  ['user_directory: not JSON', 'POST', () => '/v3/user_directory/search', NOT_JSON, 400, 'M_NOT_JSON'],
  ['report event: not JSON', 'POST', (w) => `${r(w)}/report/${enc(w.event)}`, NOT_JSON, 400, 'M_NOT_JSON'],
  ['report user: not JSON', 'POST', (w) => `/v3/users/${enc(w.bob.userId)}/report`, NOT_JSON, 400, 'M_NOT_JSON'],

  // Valid JSON of the wrong shape: 400 M_BAD_JSON.
  ['register: username not a string', 'POST', () => '/v3/register', { username: 5, password: 'p', auth: { type: 'm.login.dummy' } }, 400, 'M_BAD_JSON', 'none'],
  ['login: identifier not an object', 'POST', () => '/v3/login', { type: 'm.login.password', identifier: 'alice', password: 'p' }, 400, 'M_BAD_JSON', 'none'],
  ['devices: display_name not a string', 'PUT', (w) => `/v3/devices/${enc(w.alice.deviceId)}`, { display_name: 5 }, 400, 'M_BAD_JSON'],
  ['delete_devices: devices not a list', 'POST', () => '/v3/delete_devices', { devices: 'ABC' }, 400, 'M_BAD_JSON'],
  ['createRoom: invite not a list', 'POST', () => '/v3/createRoom', { invite: '@bob:x' }, 400, 'M_BAD_JSON'],
  ['createRoom: name not a string', 'POST', () => '/v3/createRoom', { name: 7 }, 400, 'M_BAD_JSON'],
  ['invite: user_id not a string', 'POST', (w) => `${r(w)}/invite`, { user_id: 5 }, 400, 'M_BAD_JSON'],
  ['kick: reason not a string', 'POST', (w) => `${r(w)}/kick`, { user_id: '@bob:x', reason: [] }, 400, 'M_BAD_JSON'],
  ['ban: user_id not a string', 'POST', (w) => `${r(w)}/ban`, { user_id: true }, 400, 'M_BAD_JSON'],
  ['send: content a list', 'PUT', (w) => `${r(w)}/send/m.room.message/bj1`, [1, 2], 400, 'M_BAD_JSON'],
  ['state: content a string', 'PUT', (w) => `${r(w)}/state/m.room.topic`, 'null', 400, 'M_BAD_JSON'],
  ['state: power levels with a string level', 'PUT', (w) => `${r(w)}/state/m.room.power_levels`, { users_default: 'high' }, 400, 'M_BAD_JSON'],
  ['state: power levels with a bad user ID', 'PUT', (w) => `${r(w)}/state/m.room.power_levels`, { users: { 'not-a-user': 50 } }, 400, 'M_BAD_JSON'],
  ['redact: reason not a string', 'PUT', (w) => `${r(w)}/redact/${enc(w.event)}/bj2`, { reason: 5 }, 400, 'M_BAD_JSON'],
  ['receipt: thread_id not a string', 'POST', (w) => `${r(w)}/receipt/m.read/${enc(w.event)}`, { thread_id: 5 }, 400, 'M_INVALID_PARAM'],
  ['typing: typing not a boolean', 'PUT', (w) => `${r(w)}/typing/${u(w)}`, { typing: 'yes' }, 400, 'M_BAD_JSON'],
  ['presence: unknown state', 'PUT', (w) => `/v3/presence/${u(w)}/status`, { presence: 'asleep' }, 400, 'M_BAD_JSON'],
  ['read_markers: event ID not a string', 'POST', (w) => `${r(w)}/read_markers`, { 'm.fully_read': 5 }, 400, 'M_BAD_JSON'],
  ['profile: displayname not a string', 'PUT', (w) => `/v3/profile/${u(w)}/displayname`, { displayname: 5 }, 400, 'M_BAD_JSON'],
  ['account data: a list', 'PUT', (w) => `/v3/user/${u(w)}/account_data/org.parley.test`, [1], 400, 'M_BAD_JSON'],
  ['tags: order not a number', 'PUT', (w) => `/v3/user/${u(w)}/rooms/${enc(w.room)}/tags/u.work`, { order: 'first' }, 400, 'M_BAD_JSON'],
  ['filter: limit not a number', 'POST', (w) => `/v3/user/${u(w)}/filter`, { room: { timeline: { limit: 'ten' } } }, 400, 'M_BAD_JSON'],
  ['pushrules: actions not a list', 'PUT', () => '/v3/pushrules/global/override/bad', { actions: 'notify' }, 400, 'M_BAD_JSON'],
  ['search: categories not an object', 'POST', () => '/v3/search', { search_categories: 5 }, 400, 'M_BAD_JSON'],
  ['user_directory: term not a string', 'POST', () => '/v3/user_directory/search', { search_term: 5 }, 400, 'M_BAD_JSON'],
  ['report event: reason not a string', 'POST', (w) => `${r(w)}/report/${enc(w.event)}`, { reason: 5 }, 400, 'M_BAD_JSON'],

  // Bodies over max_request_body_bytes: 413 M_TOO_LARGE.
  ['register: too large', 'POST', () => '/v3/register', HUGE, 413, 'M_TOO_LARGE', 'none'],
  ['createRoom: too large', 'POST', () => '/v3/createRoom', { name: HUGE.body }, 413, 'M_TOO_LARGE'],
  ['send: too large', 'PUT', (w) => `${r(w)}/send/m.room.message/big1`, HUGE, 413, 'M_TOO_LARGE'],
  ['state: too large', 'PUT', (w) => `${r(w)}/state/m.room.topic`, { topic: HUGE.body }, 413, 'M_TOO_LARGE'],
  ['account data: too large', 'PUT', (w) => `/v3/user/${u(w)}/account_data/org.parley.test`, HUGE, 413, 'M_TOO_LARGE'],
  ['profile: too large', 'PUT', (w) => `/v3/profile/${u(w)}/displayname`, { displayname: HUGE.body }, 413, 'M_TOO_LARGE'],
  ['filter: too large', 'POST', (w) => `/v3/user/${u(w)}/filter`, { room: { not_types: [HUGE.body] } }, 413, 'M_TOO_LARGE'],
  ['search: too large', 'POST', () => '/v3/search', { search_categories: { room_events: { search_term: HUGE.body } } }, 413, 'M_TOO_LARGE'],

  // A well-formed ID of a room that does not exist.
  ['unknown room: join', 'POST', (w) => `/v3/join/${enc(w.unknownRoom)}`, {}, 404, 'M_NOT_FOUND'],
  ['unknown room: invite', 'POST', (w) => `/v3/rooms/${enc(w.unknownRoom)}/invite`, { user_id: '@bob:x' }, 404, 'M_NOT_FOUND'],
  ['unknown room: leave', 'POST', (w) => `/v3/rooms/${enc(w.unknownRoom)}/leave`, {}, 404, 'M_NOT_FOUND'],
  ['unknown room: send', 'PUT', (w) => `/v3/rooms/${enc(w.unknownRoom)}/send/m.room.message/u1`, { msgtype: 'm.text', body: 'x' }, 404, 'M_NOT_FOUND'],
  ['unknown room: state', 'PUT', (w) => `/v3/rooms/${enc(w.unknownRoom)}/state/m.room.topic`, { topic: 'x' }, 404, 'M_NOT_FOUND'],
  ['unknown room: messages', 'GET', (w) => `/v3/rooms/${enc(w.unknownRoom)}/messages?dir=b`, undefined, 403, 'M_FORBIDDEN'],
  ['unknown room: members', 'GET', (w) => `/v3/rooms/${enc(w.unknownRoom)}/members`, undefined, 403, 'M_FORBIDDEN'],
  ['unknown room: read state', 'GET', (w) => `/v3/rooms/${enc(w.unknownRoom)}/state`, undefined, 403, 'M_FORBIDDEN'],
  ['unknown room: typing', 'PUT', (w) => `/v3/rooms/${enc(w.unknownRoom)}/typing/${u(w)}`, { typing: true, timeout: 1000 }, 403, 'M_FORBIDDEN'],
  ['unknown room: receipt', 'POST', (w) => `/v3/rooms/${enc(w.unknownRoom)}/receipt/m.read/${enc(w.event)}`, {}, 403, 'M_FORBIDDEN'],
  ['unknown room: read_markers', 'POST', (w) => `/v3/rooms/${enc(w.unknownRoom)}/read_markers`, (w: World) => ({ 'm.fully_read': w.event }), 403, 'M_FORBIDDEN'],
  ['unknown room: event', 'GET', (w) => `/v3/rooms/${enc(w.unknownRoom)}/event/${enc(w.event)}`, undefined, 404, 'M_NOT_FOUND'],
  ['unknown event: event', 'GET', (w) => `${r(w)}/event/${enc(`$${'A'.repeat(43)}`)}`, undefined, 404, 'M_NOT_FOUND'],
  ['unknown event: context', 'GET', (w) => `${r(w)}/context/${enc(`$${'A'.repeat(43)}`)}`, undefined, 404, 'M_NOT_FOUND'],
  ['unknown event: receipt', 'POST', (w) => `${r(w)}/receipt/m.read/${enc(`$${'A'.repeat(43)}`)}`, {}, 404, 'M_NOT_FOUND'],
  ['unknown room: report', 'POST', (w) => `/v3/rooms/${enc(w.unknownRoom)}/report`, { reason: 'x' }, 404, 'M_NOT_FOUND'],

  // Malformed IDs in the path: 400 M_INVALID_PARAM.
  ['bad room ID: messages', 'GET', () => '/v3/rooms/not-a-room/messages?dir=b', undefined, 400, 'M_INVALID_PARAM'],
  ['bad room ID: send', 'PUT', () => '/v3/rooms/not-a-room/send/m.room.message/i1', { body: 'x' }, 400, 'M_INVALID_PARAM'],
  ['bad room ID: join', 'POST', () => '/v3/join/not-a-room', {}, 400, 'M_INVALID_PARAM'],
  ['bad event ID: event', 'GET', (w) => `${r(w)}/event/not-an-event`, undefined, 400, 'M_INVALID_PARAM'],
  ['bad event ID: context', 'GET', (w) => `${r(w)}/context/not-an-event`, undefined, 400, 'M_INVALID_PARAM'],
  ['bad event ID: redact', 'PUT', (w) => `${r(w)}/redact/not-an-event/i2`, {}, 400, 'M_INVALID_PARAM'],
  ['bad event ID: receipt', 'POST', (w) => `${r(w)}/receipt/m.read/not-an-event`, {}, 400, 'M_INVALID_PARAM'],
  ['bad user ID: invite', 'POST', (w) => `${r(w)}/invite`, { user_id: 'bob' }, 400, 'M_INVALID_PARAM'],
  ['bad user ID: profile', 'GET', () => '/v3/profile/bob', undefined, 400, 'M_INVALID_PARAM'],
  ['bad user ID: presence', 'GET', () => '/v3/presence/bob/status', undefined, 400, 'M_INVALID_PARAM'],
  ['bad user ID: typing', 'PUT', (w) => `${r(w)}/typing/bob`, { typing: true }, 400, 'M_INVALID_PARAM'],
  ['bad user ID: report', 'POST', () => '/v3/users/bob/report', { reason: 'x' }, 400, 'M_INVALID_PARAM'],
  ['bad limit: messages', 'GET', (w) => `${r(w)}/messages?dir=b&limit=many`, undefined, 400, 'M_INVALID_PARAM'],
  ['bad dir: messages', 'GET', (w) => `${r(w)}/messages?dir=up`, undefined, 400, 'M_INVALID_PARAM'],
  ['bad filter: sync', 'GET', () => '/v3/sync?filter=%7Bnot%20json&timeout=0', undefined, 400, 'M_NOT_JSON'],
  ['unknown filter ID', 'GET', (w) => `/v3/user/${u(w)}/filter/987654`, undefined, 404, 'M_NOT_FOUND'],
  ['unknown push rule kind', 'PUT', () => '/v3/pushrules/global/sideways/r1', { actions: [] }, 400, 'M_INVALID_PARAM'],

  // A NUL (or a lone surrogate's non-UTF-8 bytes) in a path parameter: 400 M_INVALID_PARAM before any handler runs.
  ['NUL in txnId: send', 'PUT', (w) => `${r(w)}/send/m.room.message/a%00b`, { msgtype: 'm.text', body: 'x' }, 400, 'M_INVALID_PARAM'],
  ['NUL in event type: send', 'PUT', (w) => `${r(w)}/send/m.room%00.message/p1`, { msgtype: 'm.text', body: 'x' }, 400, 'M_INVALID_PARAM'],
  ['NUL in state key: state', 'PUT', (w) => `${r(w)}/state/m.room.topic/a%00`, { topic: 'x' }, 400, 'M_INVALID_PARAM'],
  ['NUL in room ID: join', 'POST', () => '/v3/join/!a%00b:x', {}, 400, 'M_INVALID_PARAM'],
  ['NUL in alias: directory', 'PUT', () => '/v3/directory/room/%23a%00b:x', { room_id: '!a:x' }, 400, 'M_INVALID_PARAM'],
  ['NUL in type: account data', 'PUT', (w) => `/v3/user/${u(w)}/account_data/org.parley%00`, { v: 1 }, 400, 'M_INVALID_PARAM'],
  ['NUL in tag: tags', 'PUT', (w) => `/v3/user/${u(w)}/rooms/${enc(w.room)}/tags/u.a%00`, {}, 400, 'M_INVALID_PARAM'],
  ['NUL in key name: profile', 'PUT', (w) => `/v3/profile/${u(w)}/org.a%00`, { 'org.a': 'x' }, 400, 'M_INVALID_PARAM'],
  ['NUL in rule ID: pushrules', 'PUT', () => '/v3/pushrules/global/override/r%00', { actions: [] }, 400, 'M_INVALID_PARAM'],
  ['NUL in device ID: devices', 'PUT', () => '/v3/devices/D%00', { display_name: 'x' }, 400, 'M_INVALID_PARAM'],
  ['NUL in filter ID: filter', 'GET', (w) => `/v3/user/${u(w)}/filter/1%00`, undefined, 400, 'M_INVALID_PARAM'],
  ['non-UTF-8 escape in txnId: send', 'PUT', (w) => `${r(w)}/send/m.room.message/a%ED%A0%80`, { msgtype: 'm.text', body: 'x' }, 400, 'M_INVALID_PARAM'],
  ['NUL in a query value: messages', 'GET', (w) => `${r(w)}/messages?dir=b&from=a%00`, undefined, 400, 'M_INVALID_PARAM'],
  ['NUL unauthenticated: register/available', 'GET', () => '/v3/register/available?username=a%00', undefined, 400, 'M_INVALID_PARAM', 'none'],

  // Someone else's data: 403 M_FORBIDDEN.
  ['account data of another user', 'PUT', (w) => `/v3/user/${enc(w.bob.userId)}/account_data/org.parley.test`, { v: 2 }, 403, 'M_FORBIDDEN'],
  ['profile of another user', 'PUT', (w) => `/v3/profile/${enc(w.bob.userId)}/displayname`, { displayname: 'bobby' }, 403, 'M_FORBIDDEN'],
  ['typing as another user', 'PUT', (w) => `${r(w)}/typing/${enc(w.bob.userId)}`, { typing: true }, 403, 'M_FORBIDDEN'],
  ['filter of another user', 'POST', (w) => `/v3/user/${enc(w.bob.userId)}/filter`, {}, 403, 'M_FORBIDDEN'],

  // A user outside a private room can neither read nor write it.
  ['outsider: messages', 'GET', (w) => `${r(w)}/messages?dir=b`, undefined, 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: event', 'GET', (w) => `${r(w)}/event/${enc(w.event)}`, undefined, 404, 'M_NOT_FOUND', 'mallory'],
  // /context lists no error in the spec; like /messages, Parley answers 403.
  ['outsider: context', 'GET', (w) => `${r(w)}/context/${enc(w.event)}`, undefined, 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: state', 'GET', (w) => `${r(w)}/state`, undefined, 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: one state event', 'GET', (w) => `${r(w)}/state/m.room.create/`, undefined, 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: members', 'GET', (w) => `${r(w)}/members`, undefined, 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: joined_members', 'GET', (w) => `${r(w)}/joined_members`, undefined, 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: relations', 'GET', (w) => `/v1/rooms/${enc(w.room)}/relations/${enc(w.event)}`, undefined, 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: send', 'PUT', (w) => `${r(w)}/send/m.room.message/o1`, { msgtype: 'm.text', body: 'let me in' }, 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: set state', 'PUT', (w) => `${r(w)}/state/m.room.topic`, { topic: 'hijacked' }, 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: redact', 'PUT', (w) => `${r(w)}/redact/${enc(w.event)}/o2`, {}, 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: join (invite only)', 'POST', (w) => `/v3/join/${enc(w.room)}`, {}, 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: invite', 'POST', (w) => `${r(w)}/invite`, (w: World) => ({ user_id: w.mallory.userId }), 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: kick', 'POST', (w) => `${r(w)}/kick`, (w: World) => ({ user_id: w.bob.userId }), 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: receipt', 'POST', (w) => `${r(w)}/receipt/m.read/${enc(w.event)}`, {}, 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: typing', 'PUT', (w) => `${r(w)}/typing/${enc(w.mallory.userId)}`, { typing: true }, 403, 'M_FORBIDDEN', 'mallory'],
  ['outsider: room account data', 'PUT', (w) => `/v3/user/${enc(w.mallory.userId)}/rooms/${enc(w.room)}/account_data/x.y`, { a: 1 }, 200, null, 'mallory'],
  // A world_readable room can be read, but not written, from outside.
  ['outsider: world_readable messages', 'GET', (w) => `/v3/rooms/${enc(w.open)}/messages?dir=b`, undefined, 200, null, 'mallory'],
  ['outsider: world_readable event', 'GET', (w) => `/v3/rooms/${enc(w.open)}/event/${enc(w.openEvent)}`, undefined, 200, null, 'mallory'],
  ['outsider: world_readable state', 'GET', (w) => `/v3/rooms/${enc(w.open)}/state`, undefined, 200, null, 'mallory'],
  ['outsider: world_readable send', 'PUT', (w) => `/v3/rooms/${enc(w.open)}/send/m.room.message/o3`, { msgtype: 'm.text', body: 'x' }, 403, 'M_FORBIDDEN', 'mallory'],
];

const cases: Case[] = table.map(([name, method, path, body, status, errcode, as]) => ({ name, method, path, body, status, errcode, as: as ?? 'alice' }));

forEachDialect(
  'bad input and access control',
  (server) => {
    let world: World;
    let before: string;

    /** Everything a bad request must not have changed, as one comparable string. */
    async function snapshot(s: TestHomeserver, w: World): Promise<string> {
      const get = async (who: TestUser, path: string): Promise<unknown> => {
        const answer = await api(s, 'GET', `/_matrix/client${path}`, { token: who.accessToken });
        expect(answer.status, `GET ${path}`).toBe(200);
        return answer.body;
      };
      const messages = (await get(w.alice, `${r(w)}/messages?dir=b&limit=50`)) as { chunk: { event_id: string }[] };
      const parts = await Promise.all([
        get(w.alice, `${r(w)}/state`).then((events) => (events as unknown as { event_id: string }[]).map((event) => event.event_id).sort()),
        get(w.alice, `/v3/user/${u(w)}/account_data/org.parley.test`),
        get(w.alice, `/v3/user/${u(w)}/rooms/${enc(w.room)}/account_data/org.parley.test`),
        get(w.alice, `/v3/user/${u(w)}/rooms/${enc(w.room)}/tags`),
        get(w.alice, `/v3/profile/${u(w)}`),
        get(w.bob, `/v3/profile/${enc(w.bob.userId)}`),
        get(w.alice, '/v3/pushrules/'),
        get(w.alice, '/v3/devices').then((body) => (body as { devices: { device_id: string; display_name?: string }[] }).devices.map((d) => [d.device_id, d.display_name])),
        get(w.alice, '/v3/joined_rooms'),
        get(w.mallory, '/v3/joined_rooms'),
        get(w.alice, `/v3/rooms/${enc(w.open)}/messages?dir=b&limit=5`).then((body) => (body as { chunk: { event_id: string }[] }).chunk.map((e) => e.event_id)),
      ]);
      return JSON.stringify([messages.chunk.map((event) => event.event_id), ...parts]);
    }

    beforeAll(async () => {
      const s = server();
      const [alice, bob, mallory] = await Promise.all(['alice', 'bob', 'mallory'].map((name) => registerUser(s, uniqueLocalpart(name))));
      if (!alice || !bob || !mallory) throw new Error('registration failed');
      const ok = async (who: TestUser, method: string, path: string, body: unknown = {}) => {
        const answer = await api(s, method, `/_matrix/client${path}`, { token: who.accessToken, body });
        if (answer.status !== 200) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
        return answer.body;
      };
      const room = (await ok(alice, 'POST', '/v3/createRoom', { preset: 'private_chat', name: 'private', invite: [bob.userId] })).room_id as string;
      await ok(bob, 'POST', `/v3/join/${enc(room)}`);
      const event = (await ok(alice, 'PUT', `/v3/rooms/${enc(room)}/send/m.room.message/setup1`, { msgtype: 'm.text', body: 'hello' })).event_id as string;
      const open = (
        await ok(alice, 'POST', '/v3/createRoom', {
          preset: 'public_chat',
          initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'world_readable' } }],
        })
      ).room_id as string;
      const openEvent = (await ok(alice, 'PUT', `/v3/rooms/${enc(open)}/send/m.room.message/setup2`, { msgtype: 'm.text', body: 'public' })).event_id as string;
      await ok(alice, 'PUT', `/v3/user/${enc(alice.userId)}/account_data/org.parley.test`, { v: 1 });
      await ok(alice, 'PUT', `/v3/user/${enc(alice.userId)}/rooms/${enc(room)}/account_data/org.parley.test`, { v: 1 });
      await ok(alice, 'PUT', `/v3/user/${enc(alice.userId)}/rooms/${enc(room)}/tags/u.work`, { order: 0.5 });
      await ok(alice, 'PUT', `/v3/profile/${enc(alice.userId)}/displayname`, { displayname: 'Alice' });
      world = { alice, bob, mallory, room, event, open, openEvent, unknownRoom: `!nosuchroom:${s.serverName}` };
      before = await snapshot(s, world);
    });

    it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const token = c.as === 'none' ? undefined : world[c.as ?? 'alice'].accessToken;
      const json = typeof c.body === 'function' ? (c.body as (w: World) => unknown)(world) : c.body;
      const body = typeof json === 'string' ? { rawBody: json } : json === undefined ? {} : { body: json };
      const answer = await api(server(), c.method, `/_matrix/client${c.path(world)}`, { token, ...body });
      expect({ status: answer.status, errcode: answer.body.errcode ?? null }, JSON.stringify(answer.body)).toEqual({ status: c.status, errcode: c.errcode });
      expect(await snapshot(server(), world)).toBe(before);
    });
  },
  { config: { max_request_body_bytes: MAX_BODY } },
);

/*
 * Bad JSON values on every endpoint family: each family's request carries the value BAD in one slot, and each
 * variant puts raw JSON text there. NUL, lone surrogates and deep nesting are refused by the input gate everywhere
 * (400 M_BAD_JSON in bodies, 400 M_INVALID_PARAM in query parameters); floats and integers outside the canonical
 * range are refused (400 M_BAD_JSON) where the value is hashed or signed (events, keys), and elsewhere get what the
 * family says. Never a 5xx, on either database.
 */
const BAD = '@@BAD@@';
const DEPTH = 10_000;

type Variant = 'NUL in a string' | 'NUL in a key' | 'lone surrogate' | 'lone surrogate in a key' | 'float' | '2**60' | '1e20' | 'deep nesting';

/** Raw JSON text of each variant (what replaces `"@@BAD@@"`). */
const VARIANTS: Record<Variant, string> = {
  'NUL in a string': '"a\\u0000b"',
  'NUL in a key': '{"a\\u0000b":"x"}',
  'lone surrogate': '"x\\ud800y"',
  'lone surrogate in a key': '{"\\udc00":"x"}',
  float: '0.5',
  '2**60': '1152921504606846976',
  '1e20': '1e20',
  'deep nesting': `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`,
};
const NUMBERS: Variant[] = ['float', '2**60', '1e20'];

type Outcome = readonly [status: number, errcode: string | null];
const BAD_JSON: Outcome = [400, 'M_BAD_JSON'];
const INVALID_PARAM: Outcome = [400, 'M_INVALID_PARAM'];

interface Family {
  name: string;
  method: Case['method'];
  /** The path, `BAD` standing for a query value when `query` is set. */
  path: (w: ValueWorld) => string;
  /** The body with `BAD` in one slot (absent for GET families). */
  body?: (w: ValueWorld) => unknown;
  /** Who sends it: alice's token, none, or a fresh login of alice's (for /logout, which ends the session). */
  as?: 'alice' | 'none' | 'fresh';
  /** What the numeric variants get (the other variants get the gate's 400). */
  numbers: Outcome;
  /** What the gate's variants get when not the gate's 400: a route that reads no body. */
  gate?: Outcome;
  /** What 100 levels of brackets in a plain (non-JSON) query value get; it is just a string there. */
  deep?: Outcome;
  /** True when `BAD` is inside a JSON filter in the query string (the gate answers M_INVALID_PARAM there). */
  query?: true;
}

interface ValueWorld {
  alice: TestUser;
  bob: TestUser;
  room: string;
  event: string;
  backup: string;
}

const rv = (w: ValueWorld): string => `/v3/rooms/${enc(w.room)}`;
const uv = (w: ValueWorld): string => enc(w.alice.userId);
const OK: Outcome = [200, null];

const families: Family[] = [
  // auth and account
  { name: 'register', method: 'POST', path: () => '/v3/register', body: () => ({ username: BAD, password: 'p', auth: { type: 'm.login.dummy' } }), as: 'none', numbers: BAD_JSON },
  { name: 'login', method: 'POST', path: () => '/v3/login', body: () => ({ type: 'm.login.password', identifier: { type: 'm.id.user', user: BAD }, password: 'p' }), as: 'none', numbers: BAD_JSON },
  { name: 'login (identifier)', method: 'POST', path: () => '/v3/login', body: () => ({ type: 'm.login.password', identifier: BAD, password: 'p' }), as: 'none', numbers: BAD_JSON },
  { name: 'refresh', method: 'POST', path: () => '/v3/refresh', body: () => ({ refresh_token: BAD }), as: 'none', numbers: BAD_JSON },
  { name: 'logout', method: 'POST', path: () => '/v3/logout', body: () => ({ x: BAD }), as: 'fresh', numbers: OK, gate: OK },
  { name: 'account/password', method: 'POST', path: () => '/v3/account/password', body: () => ({ new_password: BAD, auth: { type: 'm.login.password' } }), numbers: BAD_JSON },
  { name: 'account/deactivate', method: 'POST', path: () => '/v3/account/deactivate', body: () => ({ erase: BAD }), numbers: BAD_JSON },
  { name: 'register/available', method: 'GET', path: () => `/v3/register/available?username=${BAD}`, numbers: OK, deep: [400, 'M_INVALID_USERNAME'] },
  // profile
  { name: 'profile displayname', method: 'PUT', path: (w) => `/v3/profile/${uv(w)}/displayname`, body: () => ({ displayname: BAD }), numbers: BAD_JSON },
  { name: 'profile custom field', method: 'PUT', path: (w) => `/v3/profile/${uv(w)}/org.parley.extra`, body: () => ({ 'org.parley.extra': BAD }), numbers: OK },
  // rooms
  { name: 'createRoom', method: 'POST', path: () => '/v3/createRoom', body: () => ({ creation_content: { extra: BAD } }), numbers: BAD_JSON },
  { name: 'createRoom initial_state', method: 'POST', path: () => '/v3/createRoom', body: () => ({ initial_state: [{ type: 'org.parley.x', state_key: '', content: { v: BAD } }] }), numbers: BAD_JSON },
  { name: 'createRoom power override', method: 'POST', path: () => '/v3/createRoom', body: () => ({ power_level_content_override: { users_default: BAD } }), numbers: BAD_JSON },
  { name: 'send', method: 'PUT', path: (w) => `${rv(w)}/send/m.room.message/${uniqueLocalpart('t')}`, body: () => ({ msgtype: 'm.text', body: 'x', extra: BAD }), numbers: BAD_JSON },
  { name: 'state', method: 'PUT', path: (w) => `${rv(w)}/state/org.parley.x`, body: () => ({ v: BAD }), numbers: BAD_JSON },
  { name: 'state power levels', method: 'PUT', path: (w) => `${rv(w)}/state/m.room.power_levels`, body: () => ({ users_default: BAD }), numbers: BAD_JSON },
  { name: 'redact', method: 'PUT', path: (w) => `${rv(w)}/redact/${enc(w.event)}/${uniqueLocalpart('t')}`, body: () => ({ reason: BAD }), numbers: BAD_JSON },
  { name: 'invite', method: 'POST', path: (w) => `${rv(w)}/invite`, body: (w) => ({ user_id: w.bob.userId, reason: BAD }), numbers: BAD_JSON },
  { name: 'kick', method: 'POST', path: (w) => `${rv(w)}/kick`, body: (w) => ({ user_id: w.bob.userId, reason: BAD }), numbers: BAD_JSON },
  { name: 'ban', method: 'POST', path: (w) => `${rv(w)}/ban`, body: (w) => ({ user_id: w.bob.userId, reason: BAD }), numbers: BAD_JSON },
  { name: 'join', method: 'POST', path: (w) => `/v3/join/${enc(w.room)}`, body: () => ({ reason: BAD }), numbers: BAD_JSON },
  { name: 'knock', method: 'POST', path: (w) => `/v3/knock/${enc(w.room)}`, body: () => ({ reason: BAD }), numbers: BAD_JSON },
  { name: 'leave', method: 'POST', path: (w) => `${rv(w)}/leave`, body: () => ({ reason: BAD }), numbers: BAD_JSON },
  { name: 'alias', method: 'PUT', path: (w) => `/v3/directory/room/${enc(`#${uniqueLocalpart('a')}:${w.alice.userId.split(':')[1]}`)}`, body: () => ({ room_id: BAD }), numbers: BAD_JSON },
  { name: 'directory visibility', method: 'PUT', path: (w) => `/v3/directory/list/room/${enc(w.room)}`, body: () => ({ visibility: BAD }), numbers: BAD_JSON },
  { name: 'publicRooms', method: 'POST', path: () => '/v3/publicRooms', body: () => ({ filter: { generic_search_term: BAD } }), numbers: BAD_JSON },
  { name: 'read_markers', method: 'POST', path: (w) => `${rv(w)}/read_markers`, body: () => ({ 'm.fully_read': BAD }), numbers: BAD_JSON },
  { name: 'receipt', method: 'POST', path: (w) => `${rv(w)}/receipt/m.read/${enc(w.event)}`, body: () => ({ thread_id: BAD }), numbers: INVALID_PARAM },
  { name: 'typing', method: 'PUT', path: (w) => `${rv(w)}/typing/${uv(w)}`, body: () => ({ typing: true, timeout: BAD }), numbers: OK },
  { name: 'upgrade', method: 'POST', path: (w) => `${rv(w)}/upgrade`, body: () => ({ new_version: BAD }), numbers: BAD_JSON },
  { name: 'report event', method: 'POST', path: (w) => `${rv(w)}/report/${enc(w.event)}`, body: () => ({ reason: BAD }), numbers: BAD_JSON },
  { name: 'report room', method: 'POST', path: (w) => `${rv(w)}/report`, body: () => ({ reason: BAD }), numbers: BAD_JSON },
  // sync, filters, reads with JSON in the query
  { name: 'filter upload', method: 'POST', path: (w) => `/v3/user/${uv(w)}/filter`, body: () => ({ room: { timeline: { types: [BAD] } } }), numbers: BAD_JSON },
  { name: 'sync inline filter', method: 'GET', path: () => `/v3/sync?timeout=0&filter=${BAD}`, query: true, numbers: BAD_JSON },
  { name: 'messages filter', method: 'GET', path: (w) => `${rv(w)}/messages?dir=b&filter=${BAD}`, query: true, numbers: INVALID_PARAM },
  { name: 'context filter', method: 'GET', path: (w) => `${rv(w)}/context/${enc(w.event)}?filter=${BAD}`, query: true, numbers: INVALID_PARAM },
  { name: 'messages from', method: 'GET', path: (w) => `${rv(w)}/messages?dir=b&from=${BAD}`, numbers: INVALID_PARAM },
  { name: 'relations limit', method: 'GET', path: (w) => `/v1/rooms/${enc(w.room)}/relations/${enc(w.event)}?limit=${BAD}`, numbers: INVALID_PARAM },
  // user data
  { name: 'account data', method: 'PUT', path: (w) => `/v3/user/${uv(w)}/account_data/org.parley.values`, body: () => ({ v: BAD }), numbers: OK },
  { name: 'room account data', method: 'PUT', path: (w) => `/v3/user/${uv(w)}/rooms/${enc(w.room)}/account_data/org.parley.values`, body: () => ({ v: BAD }), numbers: OK },
  { name: 'tags', method: 'PUT', path: (w) => `/v3/user/${uv(w)}/rooms/${enc(w.room)}/tags/u.values`, body: () => ({ order: 0.25, extra: BAD }), numbers: OK },
  { name: 'push rule', method: 'PUT', path: () => '/v3/pushrules/global/override/values', body: () => ({ actions: ['notify'], conditions: [{ kind: 'event_match', key: 'content.body', pattern: BAD }] }), numbers: BAD_JSON },
  { name: 'push rule actions', method: 'PUT', path: () => '/v3/pushrules/global/override/.m.rule.master/actions', body: () => ({ actions: [BAD] }), numbers: BAD_JSON },
  { name: 'devices', method: 'PUT', path: (w) => `/v3/devices/${enc(w.alice.deviceId)}`, body: () => ({ display_name: BAD }), numbers: BAD_JSON },
  { name: 'delete_devices', method: 'POST', path: () => '/v3/delete_devices', body: () => ({ devices: [BAD] }), numbers: BAD_JSON },
  // end-to-end encryption
  { name: 'keys/upload device keys', method: 'POST', path: () => '/v3/keys/upload', body: (w) => ({ device_keys: { user_id: w.alice.userId, device_id: w.alice.deviceId, algorithms: [], keys: {}, signatures: {}, extra: BAD } }), numbers: BAD_JSON },
  { name: 'keys/upload one-time keys', method: 'POST', path: () => '/v3/keys/upload', body: () => ({ one_time_keys: { 'signed_curve25519:AAAA': { key: 'k', signatures: {}, extra: BAD } } }), numbers: BAD_JSON },
  { name: 'keys/query', method: 'POST', path: () => '/v3/keys/query', body: (w) => ({ device_keys: { [w.alice.userId]: [BAD] } }), numbers: BAD_JSON },
  { name: 'keys/claim', method: 'POST', path: () => '/v3/keys/claim', body: (w) => ({ one_time_keys: { [w.alice.userId]: { [w.alice.deviceId]: BAD } } }), numbers: BAD_JSON },
  { name: 'keys/device_signing', method: 'POST', path: () => '/v3/keys/device_signing/upload', body: (w) => ({ master_key: { user_id: w.alice.userId, usage: ['master'], keys: {}, extra: BAD } }), numbers: BAD_JSON },
  { name: 'keys/signatures', method: 'POST', path: () => '/v3/keys/signatures/upload', body: (w) => ({ [w.alice.userId]: { [w.alice.deviceId]: { extra: BAD } } }), numbers: BAD_JSON },
  { name: 'sendToDevice', method: 'PUT', path: () => `/v3/sendToDevice/org.parley.x/${uniqueLocalpart('t')}`, body: (w) => ({ messages: { [w.bob.userId]: { '*': { v: BAD } } } }), numbers: OK },
  { name: 'key backup version', method: 'PUT', path: (w) => `/v3/room_keys/version/${w.backup}`, body: (w) => ({ algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'cHVibGlj', v: BAD }, version: w.backup }), numbers: OK },
  { name: 'key backup session', method: 'PUT', path: (w) => `/v3/room_keys/keys/${enc(w.room)}/sess1?version=${w.backup}`, body: () => ({ first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: { v: BAD } }), numbers: OK },
  // discovery
  { name: 'user_directory', method: 'POST', path: () => '/v3/user_directory/search', body: () => ({ search_term: BAD }), numbers: BAD_JSON },
  { name: 'search', method: 'POST', path: () => '/v3/search', body: () => ({ search_categories: { room_events: { search_term: BAD } } }), numbers: BAD_JSON },
  { name: 'presence', method: 'PUT', path: (w) => `/v3/presence/${uv(w)}/status`, body: () => ({ presence: 'online', status_msg: BAD }), numbers: BAD_JSON },
];

/** Deep nesting in a query string stays within the URL limits: 100 levels, beyond json_max_depth (64). */
const QUERY_DEEP = `${'['.repeat(100)}${']'.repeat(100)}`;

/** The request for `family` with `variant` in its slot: [path, raw body]. */
function badRequest(family: Family, variant: Variant, w: ValueWorld): [string, string | undefined] {
  const text = VARIANTS[variant];
  if (family.body) {
    return [family.path(w), JSON.stringify(family.body(w)).replace(JSON.stringify(BAD), text)];
  }
  if (family.query) {
    const value = variant === 'deep nesting' ? QUERY_DEEP : text;
    const filter = family.path(w).includes('/sync') ? `{"room":{"timeline":{"types":[${value}]}}}` : `{"types":[${value}]}`;
    return [family.path(w).replace(BAD, enc(filter)), undefined];
  }
  return [family.path(w).replace(BAD, plainQueryValue(variant)), undefined];
}

/**
 * A plain (non-JSON) query value for each variant, %-encoded (the key variants add a parameter with that key). A lone
 * surrogate has no UTF-8 form, so it is sent as its CESU-8 bytes (`%ED%A0%80`), which are not UTF-8 either.
 */
function plainQueryValue(variant: Variant): string {
  if (variant === 'NUL in a string') return enc('a\u0000b');
  if (variant === 'NUL in a key') return `x&${enc('a\u0000b')}=1`;
  if (variant === 'lone surrogate') return 'a%ED%A0%80';
  if (variant === 'lone surrogate in a key') return 'x&a%ED%A0%80=1';
  return enc(variant === 'deep nesting' ? QUERY_DEEP : String(JSON.parse(VARIANTS[variant])));
}

function expected(family: Family, variant: Variant): Outcome {
  if (NUMBERS.includes(variant)) return family.numbers;
  if (family.body) return family.gate ?? BAD_JSON;
  if (family.query || variant !== 'deep nesting') return INVALID_PARAM;
  return family.deep ?? INVALID_PARAM;
}

const valueCases = families.flatMap((family) => (Object.keys(VARIANTS) as Variant[]).map((variant) => [`${family.name}: ${variant}`, family, variant] as const));

forEachDialect('bad JSON values on every endpoint family', (server) => {
  let world: ValueWorld;

  async function freshToken(user: TestUser): Promise<string> {
    const body = { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password };
    const answer = await api(server(), 'POST', '/_matrix/client/v3/login', { body });
    if (answer.status !== 200) throw new Error(`login: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.access_token as string;
  }

  beforeAll(async () => {
    const s = server();
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((name) => registerUser(s, uniqueLocalpart(name))));
    if (!alice || !bob) throw new Error('registration failed');
    const ok = async (method: string, path: string, body: unknown = {}): Promise<Record<string, unknown>> => {
      const answer = await api(s, method, `/_matrix/client${path}`, { token: alice.accessToken, body });
      if (answer.status !== 200) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    };
    const room = (await ok('POST', '/v3/createRoom', { preset: 'public_chat' })).room_id as string;
    const event = (await ok('PUT', `/v3/rooms/${enc(room)}/send/m.room.message/v1`, { msgtype: 'm.text', body: 'hello' })).event_id as string;
    const backup = (await ok('POST', '/v3/room_keys/version', { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'cHVibGlj' } })).version as string;
    world = { alice, bob, room, event, backup };
  });

  it.each(valueCases)('%s', async (_name, family, variant) => {
    const [path, rawBody] = badRequest(family, variant, world);
    const token = family.as === 'none' ? undefined : family.as === 'fresh' ? await freshToken(world.alice) : world.alice.accessToken;
    const answer = await api(server(), family.method, `/_matrix/client${path}`, { token, ...(rawBody === undefined ? {} : { rawBody }) });
    expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(500);
    const [status, errcode] = expected(family, variant);
    expect({ status: answer.status, errcode: answer.body.errcode ?? null }, JSON.stringify(answer.body)).toEqual({ status, errcode });
  });

  it('still answers alice afterwards, and stored nothing from the refused events', async () => {
    const answer = await api(server(), 'GET', `/_matrix/client${rv(world)}/messages?dir=b&limit=50`, { token: world.alice.accessToken });
    expect(answer.status).toBe(200);
    const bodies = (answer.body.chunk as { content: Record<string, unknown> }[]).map((event) => JSON.stringify(event.content));
    expect(bodies.some((body) => body.includes('\\u0000') || body.includes('\\ud800') || body.includes('1152921504606846976'))).toBe(false);
  });
});
