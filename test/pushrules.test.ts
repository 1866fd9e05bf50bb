/**
 * /pushrules and /notifications over HTTP, on SQLite and (with TEST_POSTGRES_URL) PostgreSQL, plus the push rule
 * calls matrix-js-sdk makes.
 * https://spec.matrix.org/v1.19/client-server-api/#push-rules-api
 */
import { expect, it } from 'vitest';
import { createClient, PushRuleKind } from 'matrix-js-sdk';
import { forEachDialect, registerUser, uniqueLocalpart, type TestUser } from './support/homeserver.js';

type Json = Record<string, unknown>;

forEachDialect('push rules over HTTP', (server) => {
  async function call(user: TestUser | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (user) headers.Authorization = `Bearer ${user.accessToken}`;
    const response = await fetch(`${server().url}/_matrix/client/v3${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Json };
  }

  it('serves the default ruleset and manages a rule through every endpoint', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const all = await call(alice, 'GET', '/pushrules/');
    expect(all.status).toBe(200);
    const global = all.body.global as Record<string, Json[]>;
    expect(global.override?.[0]).toEqual({ rule_id: '.m.rule.master', default: true, enabled: false, conditions: [], actions: [] });
    expect(global.underride?.map((rule) => rule.rule_id)).toContain('.m.rule.room_one_to_one');
    expect((await call(alice, 'GET', '/pushrules/global/')).body).toEqual(global);

    const rule = { conditions: [{ kind: 'event_match', key: 'content.body', pattern: 'beer' }], actions: ['notify'] };
    expect(await call(alice, 'PUT', '/pushrules/global/override/beer', rule)).toEqual({ status: 200, body: {} });
    expect(await call(alice, 'PUT', '/pushrules/global/override/wine?after=beer', rule)).toEqual({ status: 200, body: {} });
    const overrides = ((await call(alice, 'GET', '/pushrules/global/')).body.override as Json[]).map((r) => r.rule_id);
    expect(overrides.slice(0, 3)).toEqual(['.m.rule.master', 'beer', 'wine']);
    expect((await call(alice, 'GET', '/pushrules/global/override/beer')).body).toEqual({ rule_id: 'beer', default: false, enabled: true, ...rule });

    expect((await call(alice, 'PUT', '/pushrules/global/override/beer/enabled', { enabled: false })).status).toBe(200);
    expect((await call(alice, 'GET', '/pushrules/global/override/beer/enabled')).body).toEqual({ enabled: false });
    const actions = ['notify', { set_tweak: 'sound', value: 'bing' }];
    expect((await call(alice, 'PUT', '/pushrules/global/override/beer/actions', { actions })).status).toBe(200);
    expect((await call(alice, 'GET', '/pushrules/global/override/beer/actions')).body).toEqual({ actions });
    // Room IDs as rule IDs travel %-encoded.
    expect((await call(alice, 'PUT', `/pushrules/global/room/${encodeURIComponent('!abc:example.org')}`, { actions: [] })).status).toBe(200);
    expect((await call(alice, 'GET', `/pushrules/global/room/${encodeURIComponent('!abc:example.org')}`)).body.rule_id).toBe('!abc:example.org');
    // Server-default rules can be switched on and off.
    expect((await call(alice, 'PUT', '/pushrules/global/override/.m.rule.master/enabled', { enabled: true })).status).toBe(200);
    expect((await call(alice, 'GET', '/pushrules/global/override/.m.rule.master/enabled')).body).toEqual({ enabled: true });

    expect(await call(alice, 'DELETE', '/pushrules/global/override/beer')).toEqual({ status: 200, body: {} });
    expect((await call(alice, 'GET', '/pushrules/global/override/beer')).body.errcode).toBe('M_NOT_FOUND');
  });

  it('answers bad input with the spec errors and writes nothing', async () => {
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const cases: [string, string, unknown, number, string][] = [
      ['GET', '/pushrules/device/', undefined, 400, 'M_INVALID_PARAM'],
      ['GET', '/pushrules/global/everything/x', undefined, 400, 'M_INVALID_PARAM'],
      ['PUT', '/pushrules/device/override/x', { actions: [] }, 400, 'M_INVALID_PARAM'],
      ['GET', '/pushrules/global/override/nope', undefined, 404, 'M_NOT_FOUND'],
      ['GET', '/pushrules/global/override/nope/enabled', undefined, 404, 'M_NOT_FOUND'],
      ['PUT', '/pushrules/global/override/nope/enabled', { enabled: true }, 404, 'M_NOT_FOUND'],
      ['PUT', '/pushrules/global/override/nope/actions', { actions: [] }, 404, 'M_NOT_FOUND'],
      ['DELETE', '/pushrules/global/override/nope', undefined, 404, 'M_NOT_FOUND'],
      ['DELETE', '/pushrules/global/override/.m.rule.master', undefined, 400, 'M_INVALID_PARAM'],
      ['PUT', '/pushrules/global/override/.mine', { actions: [] }, 400, 'M_INVALID_PARAM'],
      ['PUT', '/pushrules/global/override/x', { actions: ['explode'] }, 400, 'M_BAD_JSON'],
      ['PUT', '/pushrules/global/override/x', { actions: 'notify' }, 400, 'M_BAD_JSON'],
      ['PUT', '/pushrules/global/override/x', { actions: [], conditions: [{ key: 'type' }] }, 400, 'M_BAD_JSON'],
      ['PUT', '/pushrules/global/override/x', {}, 400, 'M_MISSING_PARAM'],
      ['PUT', '/pushrules/global/override/x', '{"actions": [', 400, 'M_NOT_JSON'],
      ['PUT', '/pushrules/global/override/x?before=nope', { actions: [] }, 400, 'M_UNKNOWN'],
      ['PUT', '/pushrules/global/override/.m.rule.master/enabled', { enabled: 'yes' }, 400, 'M_BAD_JSON'],
      ['PUT', '/pushrules/global/content/x', { actions: [] }, 400, 'M_MISSING_PARAM'],
      ['GET', '/notifications?limit=lots', undefined, 400, 'M_INVALID_PARAM'],
      ['GET', '/notifications?from=xyz', undefined, 400, 'M_INVALID_PARAM'],
    ];
    for (const [method, path, body, status, errcode] of cases) {
      const response = await call(bob, method, path, body);
      expect({ method, path, status: response.status, errcode: response.body.errcode }).toEqual({ method, path, status, errcode });
    }
    const ruleset = (await call(bob, 'GET', '/pushrules/global/')).body;
    expect((ruleset.override as Json[]).filter((rule) => rule.default === false)).toEqual([]);
    expect((await call(null, 'GET', '/pushrules/')).body.errcode).toBe('M_MISSING_TOKEN');
    expect((await call({ ...bob, accessToken: 'wrong' }, 'GET', '/notifications')).body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('lists no notifications for a new user', async () => {
    const carol = await registerUser(server(), uniqueLocalpart('carol'));
    expect(await call(carol, 'GET', '/notifications?limit=5&only=highlight')).toEqual({ status: 200, body: { notifications: [] } });
  });

  it('counts notifications from room messages, highlights mentions, and resets them with a read receipt', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const carol = await registerUser(server(), uniqueLocalpart('carol'));
    const created = await call(bob, 'POST', '/createRoom', { preset: 'private_chat', invite: [alice.userId, carol.userId] });
    expect(created.status).toBe(200);
    const roomId = created.body.room_id as string;
    expect((await call(alice, 'POST', `/rooms/${encodeURIComponent(roomId)}/join`, {})).status).toBe(200);
    expect((await call(carol, 'POST', `/rooms/${encodeURIComponent(roomId)}/join`, {})).status).toBe(200);
    const send = async (txn: string, content: Json): Promise<string> =>
      (await call(bob, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`, content)).body.event_id as string;
    await send('t1', { msgtype: 'm.text', body: 'hello' });
    const mention = await send('t2', { msgtype: 'm.text', body: 'hey', 'm.mentions': { user_ids: [alice.userId] } });
    await send('t3', { msgtype: 'm.notice', body: 'bot noise' });

    const sync = await call(alice, 'GET', '/sync');
    const joined = (sync.body.rooms as Json | undefined)?.join as Record<string, Json> | undefined;
    expect(joined?.[roomId]?.unread_notifications).toEqual({ notification_count: 2, highlight_count: 1 });
    const listed = await call(alice, 'GET', '/notifications');
    // The invite notified alice too (".m.rule.invite_for_me" is for the invitee), and her own join read it.
    // https://spec.matrix.org/v1.19/client-server-api/#default-override-rules
    expect((listed.body.notifications as Json[]).map((n) => [(n.event as Json).event_id, n.read, n.room_id])).toEqual([
      [mention, false, roomId],
      [expect.any(String), false, roomId],
      [expect.any(String), true, roomId],
    ]);
    const invite = (listed.body.notifications as Json[])[2]?.event as Json;
    expect([invite.type, invite.state_key, (invite.content as Json).membership]).toEqual(['m.room.member', alice.userId, 'invite']);
    const highlights = await call(alice, 'GET', '/notifications?only=highlight');
    expect((highlights.body.notifications as Json[]).map((n) => (n.event as Json).event_id)).toEqual([mention]);

    expect((await call(alice, 'POST', `/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(mention)}`, {})).status).toBe(200);
    const after = await call(alice, 'GET', '/sync');
    const afterJoined = (after.body.rooms as Json | undefined)?.join as Record<string, Json> | undefined;
    expect(afterJoined?.[roomId]?.unread_notifications).toEqual({ notification_count: 0, highlight_count: 0 });
    expect(((await call(alice, 'GET', '/notifications')).body.notifications as Json[]).every((n) => n.read === true)).toBe(true);
    // Carol has not read the messages (her invite was read by her join); the sender is never notified.
    const carols = (await call(carol, 'GET', '/notifications')).body.notifications as Json[];
    expect(carols.map((n) => n.read)).toEqual([false, false, true]);
    expect(((await call(bob, 'GET', '/notifications')).body.notifications as Json[]).length).toBe(0);
  });

  it('never notifies about ignored users, and forgets a notification once its event is redacted', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const carol = await registerUser(server(), uniqueLocalpart('carol'));
    const created = await call(carol, 'POST', '/createRoom', { preset: 'private_chat', invite: [alice.userId, bob.userId] });
    expect(created.status).toBe(200);
    const room = encodeURIComponent(created.body.room_id as string);
    for (const user of [alice, bob]) expect((await call(user, 'POST', `/rooms/${room}/join`, {})).status).toBe(200);
    const ignore = await call(alice, 'PUT', `/user/${encodeURIComponent(alice.userId)}/account_data/m.ignored_user_list`, {
      ignored_users: { [bob.userId]: {} },
    });
    expect(ignore.status).toBe(200);
    const messageIds = async (user: TestUser) =>
      ((await call(user, 'GET', '/notifications')).body.notifications as Json[])
        .map((n) => n.event as Json)
        .filter((event) => event.type === 'm.room.message')
        .map((event) => event.event_id);
    const unread = async (user: TestUser) =>
      (((await call(user, 'GET', '/sync')).body.rooms as Json).join as Record<string, Json>)[created.body.room_id as string]?.unread_notifications;

    const fromBob = await call(bob, 'PUT', `/rooms/${room}/send/m.room.message/b1`, { msgtype: 'm.text', body: `hi ${alice.userId}` });
    const fromCarol = await call(carol, 'PUT', `/rooms/${room}/send/m.room.message/c1`, { msgtype: 'm.text', body: 'oops' });
    expect(await messageIds(alice)).toEqual([fromCarol.body.event_id]);
    expect(await unread(alice)).toEqual({ notification_count: 1, highlight_count: 0 });
    // Bob, who ignores nobody, is notified about carol's message.
    expect(await messageIds(bob)).toEqual([fromCarol.body.event_id]);
    expect(fromBob.status).toBe(200);

    const redacted = await call(carol, 'PUT', `/rooms/${room}/redact/${encodeURIComponent(fromCarol.body.event_id as string)}/r1`, {});
    expect(redacted.status).toBe(200);
    expect(await messageIds(alice)).toEqual([]);
    expect(await unread(alice)).toEqual({ notification_count: 0, highlight_count: 0 });
    expect(await messageIds(bob)).toEqual([]);
  });

  it('works with matrix-js-sdk', async () => {
    const dave = await registerUser(server(), uniqueLocalpart('dave'));
    const client = createClient({ baseUrl: server().url, userId: dave.userId, accessToken: dave.accessToken, deviceId: dave.deviceId });
    const rules = await client.getPushRules();
    expect(rules.global.override?.[0]?.rule_id).toBe('.m.rule.master');
    await client.addPushRule('global', PushRuleKind.ContentSpecific, 'cake', { actions: ['notify' as never], pattern: 'cake' });
    await client.setPushRuleEnabled('global', PushRuleKind.ContentSpecific, 'cake', false);
    const after = await client.getPushRules();
    expect(after.global.content?.find((rule) => rule.rule_id === 'cake')).toMatchObject({ enabled: false, pattern: 'cake' });
    await client.deletePushRule('global', PushRuleKind.ContentSpecific, 'cake');
    expect((await client.getPushRules()).global.content?.map((rule) => rule.rule_id)).toEqual(['.m.rule.contains_user_name']);
    client.stopClient();
  });
});
