/**
 * Config switches seen from outside: `http.trust_proxy` (client address from X-Forwarded-For) and
 * `user_directory.search_all_users`, each against a server with the default (off), plus the presence privacy
 * setting announced through /sync. On SQLite and (with TEST_POSTGRES_URL) PostgreSQL.
 */
import { expect, it } from 'vitest';
import { api } from './support/http.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver } from './support/homeserver.js';

type Json = Record<string, unknown>;

/** Registers through the dummy flow with an X-Forwarded-For header, and returns the new device's last_seen_ip. */
async function lastSeenIpOfRegistrationFrom(server: TestHomeserver, forwardedFor: string): Promise<unknown> {
  const localpart = uniqueLocalpart('proxied');
  const response = await fetch(`${server.url}/_matrix/client/v3/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': forwardedFor },
    body: JSON.stringify({ username: localpart, password: `password-${localpart}`, auth: { type: 'm.login.dummy' } }),
  });
  const registered = (await response.json()) as Json;
  expect(response.status).toBe(200);
  // Every authenticated request refreshes the last seen address, so this one comes through the same "proxy".
  const devices = await fetch(`${server.url}/_matrix/client/v3/devices`, {
    headers: { Authorization: `Bearer ${registered.access_token as string}`, 'X-Forwarded-For': forwardedFor },
  });
  const device = (((await devices.json()) as Json).devices as Json[]).find((entry) => entry.device_id === registered.device_id);
  return device?.last_seen_ip;
}

/** Whether `searcher` finds `target` by its localpart in the user directory. */
async function finds(server: TestHomeserver, searcher: { accessToken: string }, target: { userId: string }): Promise<boolean> {
  const term = target.userId.slice(1, target.userId.indexOf(':'));
  const response = await api(server, 'POST', '/_matrix/client/v3/user_directory/search', {
    token: searcher.accessToken,
    body: { search_term: term, limit: 10 },
  });
  expect(response.status).toBe(200);
  return (response.body.results as Json[]).some((result) => result.user_id === target.userId);
}

forEachDialect(
  'behind a proxy, with an open directory',
  (server) => {
    it('takes the client address from X-Forwarded-For', async () => {
      expect(await lastSeenIpOfRegistrationFrom(server(), '203.0.113.7')).toBe('203.0.113.7');
    });

    it('finds users who share no room with the searcher', async () => {
      const alice = await registerUser(server(), uniqueLocalpart('alice'));
      const stranger = await registerUser(server(), uniqueLocalpart('stranger'));
      expect(await finds(server(), alice, stranger)).toBe(true);
    });
  },
  { config: { http: { trust_proxy: true }, user_directory: { search_all_users: true } } },
);

forEachDialect('with the default proxy and directory settings', (server) => {
  it('ignores X-Forwarded-For, which any client could forge', async () => {
    const ip = await lastSeenIpOfRegistrationFrom(server(), '203.0.113.7');
    expect(typeof ip === 'string' && ip.endsWith('127.0.0.1')).toBe(true);
  });

  it('finds only users sharing a room or in a public room', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const stranger = await registerUser(server(), uniqueLocalpart('stranger'));
    expect(await finds(server(), alice, stranger)).toBe(false);
  });

  it('announces a change of the presence privacy setting to room mates in /sync', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const created = await api(server(), 'POST', '/_matrix/client/v3/createRoom', {
      token: alice.accessToken,
      body: { preset: 'private_chat', invite: [bob.userId] },
    });
    const roomId = created.body.room_id as string;
    expect((await api(server(), 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, { token: bob.accessToken, body: {} })).status).toBe(200);
    const online = await api(server(), 'PUT', `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`, {
      token: alice.accessToken,
      body: { presence: 'online', status_msg: 'here' },
    });
    expect(online.status).toBe(200);
    const first = await api(server(), 'GET', '/_matrix/client/v3/sync?timeout=0', { token: bob.accessToken });
    expect(first.status).toBe(200);
    const since = first.body.next_batch as string;

    const privacy = await api(
      server(),
      'PUT',
      `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/account_data/org.parley.presence_privacy`,
      { token: alice.accessToken, body: { hide_presence: true } },
    );
    expect(privacy.status).toBe(200);
    const next = await api(server(), 'GET', `/_matrix/client/v3/sync?timeout=0&since=${encodeURIComponent(since)}`, { token: bob.accessToken });
    const events = ((next.body.presence as Json | undefined)?.events ?? []) as Json[];
    const aliceEvents = events.filter((event) => event.sender === alice.userId);
    expect(aliceEvents.map((event) => (event.content as Json).presence)).toEqual(['offline']);
    expect(aliceEvents[0]?.content).not.toHaveProperty('status_msg');
    const status = await api(server(), 'GET', `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`, { token: bob.accessToken });
    expect(status.body.presence).toBe('offline');
  });
});
