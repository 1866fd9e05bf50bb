/**
 * Hardening of user-controlled data, over HTTP on both databases: push rule patterns cannot stall the server,
 * filters are bounded and parsed once, account data has quotas, profile fields and directory search terms are
 * bounded, and profile changes and reports are rate limited. Each attack either gets a 4xx or finishes while
 * another user's requests are still answered promptly (their latency is measured, the attack's is not).
 */
import { expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';
import { api, type ApiResponse } from './support/http.js';
import { MAX_REPORT_REASON_LENGTH } from '../homeserver/src/services/profile/reports.js';

const V3 = '/_matrix/client/v3';

/** Generous bound on another user's request while an attack runs, for noisy 2-core machines. */
const RESPONSIVE_MS = 2_500;

const LIMITS = {
  push_rules_per_user: 5,
  push_rule_pattern_max_length: 1_024,
  filter_max_bytes: 4_096,
  account_data_max_entries: 6,
  account_data_max_bytes: 40 * 1024,
  account_data_entry_max_bytes: 16 * 1024,
  displayname_max_length: 256,
  avatar_url_max_length: 1_000,
  user_directory_search_term_max_length: 256,
};

/**
 * Runs `attack` while another user sends `probe` every 50 ms; returns the attack's outcome and the slowest probe.
 * The server runs in this process, so a probe's latency is measured from when it was due (before its 50 ms
 * wait), not from when it was sent: an event-loop stall delays the timer too and must count.
 */
async function whileProbing<T>(attack: () => Promise<T>, probe: () => Promise<ApiResponse>): Promise<{ result: T; slowestMs: number }> {
  let done = false;
  let slowestMs = 0;
  const probing = (async () => {
    while (!done) {
      const due = performance.now() + 50;
      await new Promise((resolve) => setTimeout(resolve, 50));
      const response = await probe();
      slowestMs = Math.max(slowestMs, performance.now() - due);
      expect(response.status).toBe(200);
    }
  })();
  try {
    return { result: await attack(), slowestMs };
  } finally {
    done = true;
    await probing;
  }
}

async function createRoom(server: TestHomeserver, owner: TestUser, members: TestUser[]): Promise<string> {
  const created = await api(server, 'POST', `${V3}/createRoom`, { token: owner.accessToken, body: { preset: 'public_chat' } });
  expect(created.status).toBe(200);
  const roomId = created.body.room_id as string;
  for (const member of members) {
    expect((await api(server, 'POST', `${V3}/join/${encodeURIComponent(roomId)}`, { token: member.accessToken, body: {} })).status).toBe(200);
  }
  return roomId;
}

async function send(server: TestHomeserver, user: TestUser, roomId: string, txnId: string, content: object, type = 'm.room.message') {
  return api(server, 'PUT', `${V3}/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/${txnId}`, {
    token: user.accessToken,
    body: content,
  });
}

const pushRule = (user: TestUser, kind: string, ruleId: string, body: object) =>
  [`${V3}/pushrules/global/${kind}/${encodeURIComponent(ruleId)}`, { token: user.accessToken, body }] as const;

forEachDialect(
  'hardening: user data',
  (server) => {
    const user = async (name: string) => registerUser(server(), uniqueLocalpart(name));

    it('push rules: patterns, conditions, actions and rules per user are bounded', async () => {
      const alice = await user('alice');
      const long = 'x'.repeat(LIMITS.push_rule_pattern_max_length + 1);
      const put = (kind: string, ruleId: string, body: object) => api(server(), 'PUT', ...pushRule(alice, kind, ruleId, body));

      const content = await put('content', 'long', { pattern: long, actions: ['notify'] });
      expect([content.status, content.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
      const condition = await put('override', 'long', { conditions: [{ kind: 'event_match', key: 'content.body', pattern: long }], actions: [] });
      expect([condition.status, condition.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
      const many = Array.from({ length: 33 }, () => ({ kind: 'event_match', key: 'type', pattern: 'm.room.message' }));
      const conditions = await put('override', 'many', { conditions: many, actions: [] });
      expect([conditions.status, conditions.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
      const actions = await put('override', 'acts', { conditions: [], actions: Array.from({ length: 33 }, () => 'notify') });
      expect([actions.status, actions.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
      // At the limits, everything is accepted.
      expect((await put('content', 'max', { pattern: 'x'.repeat(LIMITS.push_rule_pattern_max_length), actions: ['notify'] })).status).toBe(200);
      expect((await put('override', 'max', { conditions: many.slice(0, 32), actions: [] })).status).toBe(200);

      for (let index = 2; index < LIMITS.push_rules_per_user; index += 1) {
        expect((await put('room', `!r${index}:example.org`, { actions: [] })).status).toBe(200);
      }
      const over = await put('room', '!over:example.org', { actions: [] });
      expect([over.status, over.body.errcode]).toEqual([400, 'M_TOO_LARGE']);
      // Replacing an existing rule and changing default rules still work at the quota.
      expect((await put('content', 'max', { pattern: 'cake', actions: ['notify'] })).status).toBe(200);
      const enabled = await api(server(), 'PUT', `${V3}/pushrules/global/override/.m.rule.master/enabled`, { token: alice.accessToken, body: { enabled: false } });
      expect(enabled.status).toBe(200);
      expect((await api(server(), 'GET', `${V3}/pushrules/global/content/max`, { token: alice.accessToken })).body.pattern).toBe('cake');
    });

    it('push rules: a pathological-but-allowed pattern on long bodies neither stalls the server nor loses its matches', async () => {
      const [sender, other] = [await user('sender'), await user('other')];
      const victims = [await user('victim'), await user('victim'), await user('victim')];
      const roomId = await createRoom(server(), sender, [...victims, other]);
      // "*a" × 511 + "b": 1 023 characters, under the limit; an automaton over the pattern takes about a second per
      // 60 KB body, and every member's rules are evaluated in one go, so three such members stall each message.
      const pattern = `${'*a'.repeat(511)}b`;
      const highlight = ['notify', { set_tweak: 'highlight' }];
      for (const victim of victims) {
        const put = (kind: string, ruleId: string, body: object) => api(server(), 'PUT', ...pushRule(victim, kind, ruleId, body));
        expect((await put('content', 'evil', { pattern, actions: highlight })).status).toBe(200);
        const evilCondition = { conditions: [{ kind: 'event_match', key: 'content.body', pattern }], actions: highlight };
        expect((await put('override', 'evil', evilCondition)).status).toBe(200);
      }

      const body = 'a'.repeat(60_000);
      const { result, slowestMs } = await whileProbing(
        async () => {
          const statuses: number[] = [];
          for (let index = 0; index < 4; index += 1) statuses.push((await send(server(), sender, roomId, `long${index}`, { msgtype: 'm.text', body })).status);
          statuses.push((await send(server(), sender, roomId, 'match', { msgtype: 'm.text', body: `${'a'.repeat(600)}b` })).status);
          return statuses;
        },
        () => api(server(), 'GET', `${V3}/sync?timeout=0`, { token: other.accessToken }),
      );
      expect(result).toEqual([200, 200, 200, 200, 200]);
      expect(slowestMs).toBeLessThan(RESPONSIVE_MS);

      // The rules still match what they should: every message notifies (the default rule), but only the last
      // one (…ab) matches the pattern and is highlighted.
      for (const victim of victims) {
        const all = await api(server(), 'GET', `${V3}/notifications`, { token: victim.accessToken });
        expect((all.body.notifications as unknown[]).length).toBe(5);
        const highlights = await api(server(), 'GET', `${V3}/notifications?only=highlight`, { token: victim.accessToken });
        const lengths = (highlights.body.notifications as { event: { content: { body: string } } }[]).map((n) => n.event.content.body.length);
        expect(lengths).toEqual([601]);
      }
    });

    it('filters: too large on POST /filter and inline on /sync, /messages and /context; a stored filter at the limit syncs promptly', async () => {
      const alice = await user('alice');
      const roomId = await createRoom(server(), alice, []);
      const sent = await send(server(), alice, roomId, 'f1', { msgtype: 'm.text', body: 'hello' });
      const room = encodeURIComponent(roomId);
      const huge = { room: { timeline: { not_types: Array.from({ length: 200 }, (_, index) => `org.example.type.${index}`) } } };
      expect(JSON.stringify(huge).length).toBeGreaterThan(LIMITS.filter_max_bytes);

      const stored = await api(server(), 'POST', `${V3}/user/${encodeURIComponent(alice.userId)}/filter`, { token: alice.accessToken, body: huge });
      expect([stored.status, stored.body.errcode]).toEqual([400, 'M_TOO_LARGE']);
      const inline = encodeURIComponent(JSON.stringify(huge));
      const sync = await api(server(), 'GET', `${V3}/sync?timeout=0&filter=${inline}`, { token: alice.accessToken });
      expect([sync.status, sync.body.errcode]).toEqual([400, 'M_TOO_LARGE']);
      const roomFilter = encodeURIComponent(JSON.stringify(huge.room.timeline));
      const messages = await api(server(), 'GET', `${V3}/rooms/${room}/messages?dir=b&filter=${roomFilter}`, { token: alice.accessToken });
      expect([messages.status, messages.body.errcode]).toEqual([400, 'M_TOO_LARGE']);
      const eventId = encodeURIComponent(sent.body.event_id as string);
      const context = await api(server(), 'GET', `${V3}/rooms/${room}/context/${eventId}?filter=${roomFilter}`, { token: alice.accessToken });
      expect([context.status, context.body.errcode]).toEqual([400, 'M_TOO_LARGE']);

      // Under the limit: wildcard types that a `.*` regular expression would backtrack on for ever, against a
      // long event type in the room.
      const longType = 'm'.repeat(200);
      expect((await send(server(), alice, roomId, 'f2', { body: 'x' }, longType)).status).toBe(200);
      const nasty = { types: [`${'*m'.repeat(1_000)}*x`] };
      const allowed = { room: { timeline: { ...nasty, limit: 50 }, state: nasty } };
      expect(JSON.stringify(allowed).length).toBeLessThan(LIMITS.filter_max_bytes);
      const saved = await api(server(), 'POST', `${V3}/user/${encodeURIComponent(alice.userId)}/filter`, { token: alice.accessToken, body: allowed });
      expect(saved.status).toBe(200);
      const filterId = encodeURIComponent(saved.body.filter_id as string);
      const { result, slowestMs } = await whileProbing(
        async () => {
          const statuses: number[] = [];
          for (let index = 0; index < 5; index += 1) {
            statuses.push((await api(server(), 'GET', `${V3}/sync?timeout=0&filter=${filterId}`, { token: alice.accessToken })).status);
          }
          const page = await api(server(), 'GET', `${V3}/rooms/${room}/messages?dir=b&filter=${encodeURIComponent(JSON.stringify(nasty))}`, {
            token: alice.accessToken,
          });
          statuses.push(page.status);
          return { statuses, chunk: page.body.chunk as unknown[] };
        },
        () => api(server(), 'GET', '/_matrix/client/versions'),
      );
      expect(result.statuses).toEqual([200, 200, 200, 200, 200, 200]);
      expect(result.chunk).toEqual([]); // nothing ends in "x"
      expect(slowestMs).toBeLessThan(RESPONSIVE_MS);
      const ok = await api(server(), 'GET', `${V3}/rooms/${room}/messages?dir=b&filter=${encodeURIComponent(JSON.stringify({ types: ['m*m'] }))}`, {
        token: alice.accessToken,
      });
      expect((ok.body.chunk as { type: string }[]).map((event) => event.type)).toEqual([longType]);
    });

    it('account data: entry size, entries and total bytes are bounded; tags count; server-managed writes still work', async () => {
      const alice = await user('alice');
      const me = encodeURIComponent(alice.userId);
      const roomId = await createRoom(server(), alice, []);
      const room = encodeURIComponent(roomId);
      const putGlobal = (type: string, content: object) => api(server(), 'PUT', `${V3}/user/${me}/account_data/${type}`, { token: alice.accessToken, body: content });
      const blob = (bytes: number) => ({ v: 'x'.repeat(bytes - 8) }); // {"v":"…"} is 8 bytes of framing

      const big = await putGlobal('org.example.big', blob(LIMITS.account_data_entry_max_bytes + 1));
      expect([big.status, big.body.errcode]).toEqual([400, 'M_TOO_LARGE']);
      expect((await putGlobal('org.example.big', blob(LIMITS.account_data_entry_max_bytes))).status).toBe(200);
      // Total bytes: two entries of 16 KiB fit in 40 KiB, a third does not.
      expect((await putGlobal('org.example.big2', blob(LIMITS.account_data_entry_max_bytes))).status).toBe(200);
      const total = await putGlobal('org.example.big3', blob(LIMITS.account_data_entry_max_bytes));
      expect([total.status, total.body.errcode]).toEqual([400, 'M_TOO_LARGE']);
      // Shrinking an entry always works.
      expect((await putGlobal('org.example.big2', { v: 'small' })).status).toBe(200);

      // Entries: 2 stored, room account data and a room tag count too; 6 is the maximum.
      expect((await putGlobal('org.example.c', {})).status).toBe(200);
      const roomData = await api(server(), 'PUT', `${V3}/user/${me}/rooms/${room}/account_data/org.example.r`, { token: alice.accessToken, body: {} });
      expect(roomData.status).toBe(200);
      const tag = await api(server(), 'PUT', `${V3}/user/${me}/rooms/${room}/tags/u.work`, { token: alice.accessToken, body: {} });
      expect(tag.status).toBe(200);
      expect((await putGlobal('org.example.d', {})).status).toBe(200);
      const entries = await putGlobal('org.example.e', {});
      expect([entries.status, entries.body.errcode]).toEqual([400, 'M_TOO_LARGE']);
      const otherRoom = await createRoom(server(), alice, []);
      const tagOver = await api(server(), 'PUT', `${V3}/user/${me}/rooms/${encodeURIComponent(otherRoom)}/tags/u.work`, { token: alice.accessToken, body: {} });
      expect([tagOver.status, tagOver.body.errcode]).toEqual([400, 'M_TOO_LARGE']);

      // At the quota: updating an entry, ignoring a user and the server's m.fully_read still work.
      expect((await putGlobal('org.example.c', { updated: true })).status).toBe(200);
      expect((await putGlobal('m.ignored_user_list', { ignored_users: { '@troll:example.org': {} } })).status).toBe(200);
      const eventId = (await send(server(), alice, roomId, 'm1', { msgtype: 'm.text', body: 'hi' })).body.event_id as string;
      const read = await api(server(), 'POST', `${V3}/rooms/${room}/read_markers`, { token: alice.accessToken, body: { 'm.fully_read': eventId } });
      expect(read.status).toBe(200);
      const fullyRead = await api(server(), 'GET', `${V3}/user/${me}/rooms/${room}/account_data/m.fully_read`, { token: alice.accessToken });
      expect(fullyRead.body.event_id).toBe(eventId);
    });

    it('profile: display names and avatar URLs are bounded', async () => {
      const alice = await user('alice');
      const me = encodeURIComponent(alice.userId);
      const put = (key: string, value: string) => api(server(), 'PUT', `${V3}/profile/${me}/${key}`, { token: alice.accessToken, body: { [key]: value } });
      const name = await put('displayname', 'n'.repeat(LIMITS.displayname_max_length + 1));
      expect([name.status, name.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
      expect((await put('displayname', 'n'.repeat(LIMITS.displayname_max_length))).status).toBe(200);
      const avatarUrl = `mxc://example.org/${'a'.repeat(LIMITS.avatar_url_max_length)}`;
      const avatar = await put('avatar_url', avatarUrl);
      expect([avatar.status, avatar.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
      expect((await put('avatar_url', 'mxc://example.org/abc')).status).toBe(200);
    });

    it('user directory: an over-long search term is 400, not 500, and limit is clamped', async () => {
      const alice = await user('alice');
      const search = (body: object) => api(server(), 'POST', `${V3}/user_directory/search`, { token: alice.accessToken, body });
      const huge = await search({ search_term: 'a'.repeat(100_000) });
      expect([huge.status, huge.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
      const atLimit = await search({ search_term: 'a'.repeat(LIMITS.user_directory_search_term_max_length) });
      expect(atLimit.status).toBe(200);
      const many = await search({ search_term: 'alice', limit: 1_000_000 });
      expect(many.status).toBe(200);
      expect((many.body.results as unknown[]).length).toBeLessThanOrEqual(100);
    });
  },
  { config: { limits: LIMITS } },
);

forEachDialect(
  'hardening: profile and report rate limits',
  (server) => {
    it('answers 429 M_LIMIT_EXCEEDED past the profile burst, per user', async () => {
      const [alice, bob] = [await registerUser(server(), uniqueLocalpart('alice')), await registerUser(server(), uniqueLocalpart('bob'))];
      const rename = (who: TestUser, name: string) =>
        api(server(), 'PUT', `${V3}/profile/${encodeURIComponent(who.userId)}/displayname`, { token: who.accessToken, body: { displayname: name } });
      const statuses = [];
      for (let index = 0; index < 3; index += 1) statuses.push((await rename(alice, `Alice ${index}`)).status);
      const deleted = await api(server(), 'DELETE', `${V3}/profile/${encodeURIComponent(alice.userId)}/displayname`, { token: alice.accessToken });
      statuses.push(deleted.status);
      expect(statuses).toEqual([200, 200, 429, 429]);
      expect(deleted.body.errcode).toBe('M_LIMIT_EXCEEDED');
      expect(deleted.body.retry_after_ms).toBeGreaterThan(0);
      expect((await rename(bob, 'Bob')).status).toBe(200);
      // The refused change wrote nothing.
      const profile = await api(server(), 'GET', `${V3}/profile/${encodeURIComponent(alice.userId)}`);
      expect(profile.body.displayname).toBe('Alice 1');
    });

    it('counts event, room and user reports against one report limit', async () => {
      const alice = await registerUser(server(), uniqueLocalpart('alice'));
      const created = await api(server(), 'POST', `${V3}/createRoom`, { token: alice.accessToken, body: {} });
      const room = encodeURIComponent(created.body.room_id as string);
      const sent = await send(server(), alice, created.body.room_id as string, 'r1', { msgtype: 'm.text', body: 'hi' });
      const reports = [
        () => api(server(), 'POST', `${V3}/rooms/${room}/report/${encodeURIComponent(sent.body.event_id as string)}`, { token: alice.accessToken, body: { reason: 'x' } }),
        () => api(server(), 'POST', `${V3}/rooms/${room}/report`, { token: alice.accessToken, body: { reason: 'x' } }),
        () => api(server(), 'POST', `${V3}/users/${encodeURIComponent(alice.userId)}/report`, { token: alice.accessToken, body: { reason: 'x' } }),
      ];
      const statuses = [];
      for (const report of reports) statuses.push((await report()).status);
      const last = await reports[0]!();
      statuses.push(last.status);
      expect(statuses.slice(0, 2)).toEqual([200, 200]);
      expect(statuses.slice(2)).toEqual([429, 429]);
      expect(last.body.errcode).toBe('M_LIMIT_EXCEEDED');
    });

    it('refuses a report reason longer than MAX_REPORT_REASON_LENGTH before counting or storing it', async () => {
      const alice = await registerUser(server(), uniqueLocalpart('alice'));
      const report = (reason: string) =>
        api(server(), 'POST', `${V3}/users/${encodeURIComponent(alice.userId)}/report`, { token: alice.accessToken, body: { reason } });
      const tooLong = await report('x'.repeat(MAX_REPORT_REASON_LENGTH + 1));
      expect([tooLong.status, tooLong.body.errcode]).toEqual([400, 'M_TOO_LARGE']);
      expect((await report('x'.repeat(MAX_REPORT_REASON_LENGTH))).status).toBe(200);
    });
  },
  {
    config: {
      rate_limits: {
        enabled: true,
        register: { per_second: 100, burst_count: 1_000 },
        profile: { per_second: 0.01, burst_count: 2 },
        report: { per_second: 0.01, burst_count: 2 },
      },
    },
  },
);
