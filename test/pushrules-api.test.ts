/**
 * Every /pushrules read and write against the spec text: listing by scope and kind, malformed paths, actions and
 * enabled of server-default rules read back, placement with before/after, deletion, and the default ruleset
 * (with the legacy mention rules) as clients see it.
 * https://spec.matrix.org/v1.19/client-server-api/#push-rules-api
 */
import { expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart, type TestUser } from './support/homeserver.js';
import { api, type ApiResponse } from './support/http.js';

type Rule = Record<string, unknown> & { rule_id: string };

forEachDialect('push rules API', (server) => {
  const call = (user: TestUser, method: string, path: string, body?: unknown): Promise<ApiResponse> =>
    api(server(), method, `/_matrix/client/v3/pushrules${path}`, { token: user.accessToken, body });
  const ids = (rules: unknown): string[] => (rules as Rule[]).map((rule) => rule.rule_id);

  it('serves the default ruleset in the spec order, legacy mention rules included', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const global = (await call(alice, 'GET', '/')).body.global as Record<string, Rule[]>;
    expect(ids(global.override)).toEqual([
      '.m.rule.master',
      '.m.rule.suppress_notices',
      '.m.rule.invite_for_me',
      '.m.rule.member_event',
      '.m.rule.is_user_mention',
      '.m.rule.contains_display_name',
      '.m.rule.is_room_mention',
      '.m.rule.roomnotif',
      '.m.rule.tombstone',
      '.m.rule.reaction',
      '.m.rule.room.server_acl',
      '.m.rule.suppress_edits',
    ]);
    const localpart = alice.userId.slice(1, alice.userId.indexOf(':'));
    expect(global.content).toEqual([
      {
        rule_id: '.m.rule.contains_user_name',
        default: true,
        enabled: true,
        pattern: localpart,
        actions: ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }],
      },
    ]);
    expect(ids(global.underride)).toEqual(['.m.rule.call', '.m.rule.encrypted_room_one_to_one', '.m.rule.room_one_to_one', '.m.rule.message', '.m.rule.encrypted']);
    expect(global.room).toEqual([]);
    expect(global.sender).toEqual([]);
  });

  it('lists one kind at /pushrules/global/{kind}/, with and without the trailing slash', async () => {
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    expect((await call(bob, 'PUT', '/global/override/first', { actions: ['notify'], conditions: [] })).status).toBe(200);
    const global = (await call(bob, 'GET', '/global/')).body as Record<string, Rule[]>;
    for (const kind of ['override', 'content', 'room', 'sender', 'underride']) {
      const raw = await fetch(`${server().url}/_matrix/client/v3/pushrules/global/${kind}/`, { headers: { Authorization: `Bearer ${bob.accessToken}` } });
      expect({ kind, status: raw.status, rules: await raw.json() }).toEqual({ kind, status: 200, rules: global[kind] });
    }
    const raw = await fetch(`${server().url}/_matrix/client/v3/pushrules/global/override`, { headers: { Authorization: `Bearer ${bob.accessToken}` } });
    expect(ids(await raw.json()).slice(0, 2)).toEqual(['.m.rule.master', 'first']);
    expect((await call(bob, 'GET', '/global/nonsense/')).body.errcode).toBe('M_INVALID_PARAM');
  });

  it('answers malformed rule paths with 400 M_UNRECOGNIZED, not 404 or 405', async () => {
    const carol = await registerUser(server(), uniqueLocalpart('carol'));
    for (const [method, path, body] of [
      ['GET', '/global/override/.m.rule.master/extra', undefined],
      ['GET', '/global/override/.m.rule.master/enabled/extra', undefined],
      ['GET', '/global/override/.m.rule.master/conditionz', undefined],
      ['PUT', '/global/override/.m.rule.master/conditionz', { actions: [] }],
      ['PUT', '/global/', { actions: [] }],
      ['PUT', '/global/override/', { actions: [] }],
      ['PUT', '/', { actions: [] }],
      ['DELETE', '/global/override/', undefined],
      ['DELETE', '/global/', undefined],
      ['DELETE', '/global/override/x/enabled', undefined],
    ] as const) {
      const response = await call(carol, method, path, body);
      expect({ method, path, status: response.status, errcode: response.body.errcode }).toEqual({ method, path, status: 400, errcode: 'M_UNRECOGNIZED' });
    }
    // Authentication still comes first.
    expect((await api(server(), 'GET', '/_matrix/client/v3/pushrules/global/override/x/extra')).body.errcode).toBe('M_MISSING_TOKEN');
  });

  it('reads back the actions and enabled flag set on server-default rules of every kind', async () => {
    const dave = await registerUser(server(), uniqueLocalpart('dave'));
    const actions = ['notify', { set_tweak: 'sound', value: 'bell' }];
    for (const [kind, ruleId] of [
      ['override', '.m.rule.roomnotif'],
      ['content', '.m.rule.contains_user_name'],
      ['underride', '.m.rule.message'],
    ] as const) {
      expect((await call(dave, 'PUT', `/global/${kind}/${ruleId}/actions`, { actions })).status).toBe(200);
      expect((await call(dave, 'GET', `/global/${kind}/${ruleId}/actions`)).body).toEqual({ actions });
      expect((await call(dave, 'PUT', `/global/${kind}/${ruleId}/enabled`, { enabled: false })).status).toBe(200);
      // Changing one attribute keeps the other.
      expect((await call(dave, 'GET', `/global/${kind}/${ruleId}/actions`)).body).toEqual({ actions });
      expect((await call(dave, 'GET', `/global/${kind}/${ruleId}`)).body).toMatchObject({ rule_id: ruleId, default: true, enabled: false, actions });
      const listed = (await call(dave, 'GET', '/')).body.global as Record<string, Rule[]>;
      expect(listed[kind]?.find((rule) => rule.rule_id === ruleId)).toMatchObject({ enabled: false, actions });
    }
    // The rule of another kind with the same ID does not exist.
    expect((await call(dave, 'PUT', '/global/underride/.m.rule.roomnotif/actions', { actions })).status).toBe(404);
    // Default rules cannot be deleted or replaced, only changed.
    expect((await call(dave, 'DELETE', '/global/content/.m.rule.contains_user_name')).status).toBe(400);
    expect((await call(dave, 'PUT', '/global/content/.m.rule.contains_user_name', { actions: [], pattern: 'x' })).body.errcode).toBe('M_INVALID_PARAM');
  });

  it('places rules with before and after among user rules only, before winning', async () => {
    const erin = await registerUser(server(), uniqueLocalpart('erin'));
    const rule = (pattern: string) => ({ actions: ['notify'], pattern });
    for (const id of ['a', 'b', 'c']) expect((await call(erin, 'PUT', `/global/content/${id}`, rule(id))).status).toBe(200);
    // Each new rule without before/after is the most important one.
    const content = async () => ids((await call(erin, 'GET', '/global/')).body.content);
    expect(await content()).toEqual(['c', 'b', 'a', '.m.rule.contains_user_name']);
    expect((await call(erin, 'PUT', '/global/content/d?after=a', rule('d'))).status).toBe(200);
    expect((await call(erin, 'PUT', '/global/content/e?before=b&after=a', rule('e'))).status).toBe(200);
    expect(await content()).toEqual(['c', 'e', 'b', 'a', 'd', '.m.rule.contains_user_name']);
    // Updating keeps the place and the enabled flag unless asked.
    expect((await call(erin, 'PUT', '/global/content/e/enabled', { enabled: false })).status).toBe(200);
    expect((await call(erin, 'PUT', '/global/content/e', rule('eee'))).status).toBe(200);
    expect(await content()).toEqual(['c', 'e', 'b', 'a', 'd', '.m.rule.contains_user_name']);
    expect((await call(erin, 'GET', '/global/content/e')).body).toEqual({ rule_id: 'e', default: false, enabled: false, actions: ['notify'], pattern: 'eee' });
    // Relative to a server-default rule, or to a missing rule: 400 M_UNKNOWN.
    for (const anchor of ['.m.rule.contains_user_name', 'missing']) {
      const response = await call(erin, 'PUT', `/global/content/f?before=${anchor}`, rule('f'));
      expect({ anchor, status: response.status, errcode: response.body.errcode }).toEqual({ anchor, status: 400, errcode: 'M_UNKNOWN' });
    }
    expect((await call(erin, 'PUT', '/global/content/f', { actions: ['notify'] })).status).toBe(400);
    expect(await content()).toEqual(['c', 'e', 'b', 'a', 'd', '.m.rule.contains_user_name']);
    expect((await call(erin, 'DELETE', '/global/content/b')).status).toBe(200);
    expect((await call(erin, 'DELETE', '/global/content/b')).body.errcode).toBe('M_NOT_FOUND');
    expect(await content()).toEqual(['c', 'e', 'a', 'd', '.m.rule.contains_user_name']);
  });

  it('counts a name or @room in a body without m.mentions as a highlight, once, and never with m.mentions', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const carol = await registerUser(server(), uniqueLocalpart('carol'));
    const created = await api(server(), 'POST', '/_matrix/client/v3/createRoom', { token: bob.accessToken, body: { invite: [alice.userId, carol.userId] } });
    const roomId = created.body.room_id as string;
    const room = encodeURIComponent(roomId);
    for (const user of [alice, carol]) expect((await api(server(), 'POST', `/_matrix/client/v3/rooms/${room}/join`, { token: user.accessToken, body: {} })).status).toBe(200);
    const localpart = alice.userId.slice(1, alice.userId.indexOf(':'));
    let txn = 0;
    const send = async (content: Record<string, unknown>): Promise<string> => {
      const sent = await api(server(), 'PUT', `/_matrix/client/v3/rooms/${room}/send/m.room.message/t${++txn}`, { token: bob.accessToken, body: { msgtype: 'm.text', ...content } });
      return sent.body.event_id as string;
    };
    const highlights = async (user: TestUser): Promise<unknown[]> => {
      const listed = await api(server(), 'GET', '/_matrix/client/v3/notifications?only=highlight', { token: user.accessToken });
      return (listed.body.notifications as { event: { event_id: string } }[]).map((n) => n.event.event_id);
    };
    const byName = await send({ body: `hey ${localpart.toUpperCase()}, look` });
    await send({ body: `hey ${localpart}, look`, 'm.mentions': {} });
    const byRoom = await send({ body: '@room meeting' });
    await send({ body: '@room meeting', 'm.mentions': {} });
    const intended = await send({ body: `hey ${localpart}`, 'm.mentions': { user_ids: [alice.userId] } });
    expect(await highlights(alice)).toEqual([intended, byRoom, byName]);
    // Carol is named by none of them: only @room highlights her.
    expect(await highlights(carol)).toEqual([byRoom]);
    const sync = await api(server(), 'GET', '/_matrix/client/v3/sync', { token: alice.accessToken });
    const counts = ((sync.body.rooms as Record<string, Record<string, Record<string, unknown>>>).join?.[roomId])?.unread_notifications;
    expect(counts).toEqual({ notification_count: 5, highlight_count: 3 });

    // Disabled legacy rules stop highlighting (both match a localpart: the display name defaults to it).
    for (const [kind, ruleId] of [['override', '.m.rule.contains_display_name'], ['content', '.m.rule.contains_user_name']]) {
      expect((await call(alice, 'PUT', `/global/${kind}/${ruleId}/enabled`, { enabled: false })).status).toBe(200);
    }
    await send({ body: `hey ${localpart}` });
    expect(await highlights(alice)).toEqual([intended, byRoom, byName]);
  });
});
