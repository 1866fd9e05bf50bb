/**
 * POST /_matrix/client/v3/search over HTTP, on SQLite and (with TEST_POSTGRES_URL) PostgreSQL: what a user may
 * find, pagination, redaction, encrypted rooms, bad input, and matrix-js-sdk's `searchRoomEvents`.
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-search
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'matrix-js-sdk';
import { loadConfig, startServer, type RunningServer } from '@parley/homeserver';

type Json = Record<string, unknown>;

interface User {
  userId: string;
  token: string;
}

const POSTGRES_URL = process.env.TEST_POSTGRES_URL;

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe.skipIf(dialect === 'postgres' && POSTGRES_URL === undefined)(`POST /search [${dialect}]`, () => {
    let server: RunningServer;
    let dataDir = '';
    let databaseName = '';
    let alice: User;
    let bob: User;
    let carol: User;
    let txn = 0;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'parley-search-test-'));
      const env: Record<string, string> = { PARLEY_DATA_DIR: dataDir, PARLEY_LOG_LEVEL: 'silent', PARLEY_REGISTRATION: 'open' };
      if (dialect === 'postgres') {
        databaseName = `parley_test_${randomBytes(6).toString('hex')}`;
        await adminQuery(`CREATE DATABASE ${databaseName}`);
        const url = new URL(POSTGRES_URL as string);
        url.pathname = `/${databaseName}`;
        env.DATABASE_URL = url.toString();
      }
      const config = loadConfig({ env, baseDir: dataDir });
      server = await startServer({
        ...config,
        listen: { ...config.listen, port: 0 },
        rate_limits: { ...config.rate_limits, enabled: false },
      });
      alice = await register('alice');
      bob = await register('bob');
      carol = await register('carol');
    });

    afterAll(async () => {
      await server?.close();
      if (databaseName !== '') await adminQuery(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
      if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
    });

    async function call(method: string, path: string, user: User | null, body?: unknown): Promise<{ status: number; json: Json }> {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (user !== null) headers.authorization = `Bearer ${user.token}`;
      const response = await fetch(`${server.url}/_matrix/client/v3${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return { status: response.status, json: (await response.json()) as Json };
    }

    async function ok(method: string, path: string, user: User | null, body?: unknown): Promise<Json> {
      const { status, json } = await call(method, path, user, body);
      if (status !== 200) throw new Error(`${method} ${path}: ${status} ${JSON.stringify(json)}`);
      return json;
    }

    async function register(name: string): Promise<User> {
      const username = `${name}${randomBytes(3).toString('hex')}`;
      const first = await call('POST', '/register', null, { username, password: 'correct horse battery' });
      const session = first.json.session as string | undefined;
      const json = await ok('POST', '/register', null, { username, password: 'correct horse battery', auth: { type: 'm.login.dummy', session } });
      return { userId: json.user_id as string, token: json.access_token as string };
    }

    async function createRoom(user: User, extra: Json = {}): Promise<string> {
      return (await ok('POST', '/createRoom', user, { preset: 'private_chat', ...extra })).room_id as string;
    }

    async function say(user: User, roomId: string, body: string): Promise<string> {
      txn += 1;
      const path = `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${txn}`;
      return (await ok('PUT', path, user, { msgtype: 'm.text', body })).event_id as string;
    }

    async function search(user: User, criteria: Json, nextBatch?: string): Promise<Json> {
      const query = nextBatch === undefined ? '' : `?next_batch=${encodeURIComponent(nextBatch)}`;
      const json = await ok('POST', `/search${query}`, user, { search_categories: { room_events: criteria } });
      return (json.search_categories as Json).room_events as Json;
    }

    async function foundIds(user: User, criteria: Json): Promise<string[]> {
      const results = (await search(user, criteria)).results as { result: { event_id: string } }[];
      return results.map((entry) => entry.result.event_id);
    }

    /** Indexing runs after the event commits: wait until `user` finds `eventId`. */
    async function waitFound(user: User, term: string, eventId: string): Promise<void> {
      for (let attempt = 0; attempt < 50; attempt += 1) {
        if ((await foundIds(user, { search_term: term, order_by: 'recent' })).includes(eventId)) return;
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      throw new Error(`${eventId} never became searchable for "${term}"`);
    }

    it('finds messages only in rooms the user is in, and not from before they joined a `joined` room', async () => {
      const roomId = await createRoom(alice, {
        initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }],
      });
      const before = await say(alice, roomId, 'walrus before carol joined');
      await ok('POST', `/rooms/${encodeURIComponent(roomId)}/invite`, alice, { user_id: carol.userId });
      await ok('POST', `/join/${encodeURIComponent(roomId)}`, carol, {});
      const after = await say(alice, roomId, 'walrus after carol joined');
      await waitFound(alice, 'walrus', after);

      expect(await foundIds(alice, { search_term: 'walrus', order_by: 'recent' })).toEqual([after, before]);
      expect(await foundIds(carol, { search_term: 'walrus', order_by: 'recent' })).toEqual([after]);
      expect(await foundIds(bob, { search_term: 'walrus' })).toEqual([]);
      // Naming the room in the filter does not widen what bob may see.
      expect(await foundIds(bob, { search_term: 'walrus', filter: { rooms: [roomId] } })).toEqual([]);
    });

    it('never serves encrypted rooms', async () => {
      const roomId = await createRoom(alice, {
        initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
      });
      await say(alice, roomId, 'narwhal in an encrypted room');
      const control = await say(alice, await createRoom(alice), 'narwhal in a plain room');
      await waitFound(alice, 'narwhal', control);
      expect(await foundIds(alice, { search_term: 'narwhal' })).toEqual([control]);
    });

    it('removes redacted messages', async () => {
      const roomId = await createRoom(alice);
      const target = await say(alice, roomId, 'platypus typo');
      await waitFound(alice, 'platypus', target);
      txn += 1;
      await ok('PUT', `/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(target)}/r${txn}`, alice, {});
      for (let attempt = 0; attempt < 50 && (await foundIds(alice, { search_term: 'platypus' })).length > 0; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      expect(await foundIds(alice, { search_term: 'platypus' })).toEqual([]);
    });

    it('pages with next_batch, newest first, with context and counts', async () => {
      const roomId = await createRoom(alice);
      const sent: string[] = [];
      for (let i = 0; i < 12; i += 1) sent.push(await say(alice, roomId, `okapi number ${i}`));
      await waitFound(alice, 'okapi', sent.at(-1) as string);

      const criteria = { search_term: 'okapi', order_by: 'recent', filter: { limit: 5 }, event_context: { before_limit: 1, after_limit: 1 } };
      const seen: string[] = [];
      let nextBatch: string | undefined;
      let first: Json | undefined;
      do {
        const page = await search(alice, criteria, nextBatch);
        first ??= page;
        seen.push(...(page.results as { result: { event_id: string } }[]).map((entry) => entry.result.event_id));
        nextBatch = page.next_batch as string | undefined;
      } while (nextBatch !== undefined && seen.length < 40);
      expect(seen).toEqual([...sent].reverse());
      expect(first?.count).toBe(12);
      expect(first?.highlights).toEqual(['okapi']);
      const [top] = first?.results as { context: { events_before: { event_id: string }[]; events_after: unknown[] } }[];
      expect(top?.context.events_before.map((event) => event.event_id)).toEqual([sent[10]]);
      expect(top?.context.events_after).toEqual([]);
    });

    it('works through matrix-js-sdk searchRoomEvents', async () => {
      const roomId = await createRoom(alice);
      const eventId = await say(alice, roomId, 'capybara says hello');
      await waitFound(alice, 'capybara', eventId);
      const client = createClient({ baseUrl: server.url, accessToken: alice.token, userId: alice.userId });
      const found = await client.searchRoomEvents({ term: 'capybara' });
      expect(found.results.map((result) => result.context.getEvent().getId())).toEqual([eventId]);
      expect(found.highlights).toContain('capybara');
      client.stopClient();
    });

    it('treats search syntax as text and rejects bad input with the right errors', async () => {
      for (const term of ['"', 'NEAR(', '*', "'':*", '\\', 'zq & zv | !zx', 'content.body:zx']) {
        expect((await search(alice, { search_term: term })).results).toEqual([]);
      }
      const bad: [unknown, number, string][] = [
        [{ search_categories: { room_events: {} } }, 400, 'M_MISSING_PARAM'],
        [{}, 400, 'M_MISSING_PARAM'],
        [{ search_categories: { room_events: { search_term: 5 } } }, 400, 'M_BAD_JSON'],
        [{ search_categories: { room_events: { search_term: 'x', order_by: 'oldest' } } }, 400, 'M_BAD_JSON'],
        [{ search_categories: { room_events: { search_term: 'x', keys: ['content.url'] } } }, 400, 'M_BAD_JSON'],
        ['{"search_categories": ', 400, 'M_NOT_JSON'],
      ];
      for (const [body, status, errcode] of bad) {
        const response = await call('POST', '/search', alice, body);
        expect({ status: response.status, errcode: response.json.errcode }).toEqual({ status, errcode });
      }
      const badBatch = await call('POST', '/search?next_batch=not-a-token', alice, { search_categories: { room_events: { search_term: 'x' } } });
      expect({ status: badBatch.status, errcode: badBatch.json.errcode }).toEqual({ status: 400, errcode: 'M_INVALID_PARAM' });
      const noToken = await call('POST', '/search', null, { search_categories: { room_events: { search_term: 'x' } } });
      expect({ status: noToken.status, errcode: noToken.json.errcode }).toEqual({ status: 401, errcode: 'M_MISSING_TOKEN' });
      const badToken = await call('POST', '/search', { userId: alice.userId, token: 'nope' }, { search_categories: { room_events: { search_term: 'x' } } });
      expect({ status: badToken.status, errcode: badToken.json.errcode }).toEqual({ status: 401, errcode: 'M_UNKNOWN_TOKEN' });
      // Still serving.
      expect(await ok('POST', '/search', alice, { search_categories: {} })).toEqual({ search_categories: {} });
    });
  });
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
