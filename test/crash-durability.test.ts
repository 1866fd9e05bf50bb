/**
 * Crash durability of the event pipeline (issue 8): the server runs as a process of its own and is killed with
 * SIGKILL three times at random moments while four senders post into two rooms. Afterwards every send that got 200
 * is present exactly once, in send order per sender, in /messages and /sync; the recipient's notification and
 * highlight counts equal the notifying and mentioning messages present; /search finds every message; a join done
 * just before a kill shows in the recipient's device_lists. On SQLite and PostgreSQL (a fresh database each).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, testPostgresUrl, type ScratchDatabase } from '../homeserver/src/storage/testing/scratch-postgres.js';
import { serverProcess, type ServerProcess } from './support/process.js';
import { registerUser, testDialects, type TestUser } from './support/start.js';

type Json = Record<string, unknown>;

const SERVER_NAME = 'crash.test';
const KILLS = 3;
const WORD = 'durable';

interface Sent {
  tag: string;
  n: number;
  mention: boolean;
}

async function call(url: string, method: string, path: string, user: TestUser | undefined, body?: unknown): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (user) headers.Authorization = `Bearer ${user.accessToken}`;
  const response = await fetch(`${url}/_matrix/client/v3${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Json };
}

async function ok(url: string, method: string, path: string, user: TestUser | undefined, body?: unknown): Promise<Json> {
  const answer = await call(url, method, path, user, body);
  if (answer.status !== 200) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));
const tagOf = (body: unknown): string | null => (typeof body === 'string' && body.startsWith(`${WORD} `) ? (body.split(' ')[1] ?? null) : null);

/** The message tags of a room's timeline in stream order, paging /messages backwards from the end. */
async function messagesOf(url: string, user: TestUser, roomId: string): Promise<{ tag: string; eventId: string }[]> {
  const found: { tag: string; eventId: string }[] = [];
  let from: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ dir: 'b', limit: '500', ...(from === undefined ? {} : { from }) });
    const page = await ok(url, 'GET', `/rooms/${encodeURIComponent(roomId)}/messages?${query}`, user);
    const chunk = (page.chunk as Json[] | undefined) ?? [];
    for (const event of chunk) {
      const tag = tagOf((event.content as Json | undefined)?.body);
      if (event.type === 'm.room.message' && tag !== null) found.push({ tag, eventId: event.event_id as string });
    }
    if (chunk.length === 0 || typeof page.end !== 'string') break;
    from = page.end;
  }
  return found.reverse();
}

/** Every event ID /search returns for WORD, following next_batch. */
async function searchAll(url: string, user: TestUser): Promise<string[]> {
  const ids: string[] = [];
  let nextBatch: string | undefined;
  for (;;) {
    const query = nextBatch === undefined ? '' : `?next_batch=${encodeURIComponent(nextBatch)}`;
    const body = await ok(url, 'POST', `/search${query}`, user, { search_categories: { room_events: { search_term: WORD, filter: { limit: 100 } } } });
    const events = ((body.search_categories as Json).room_events as Json);
    for (const result of (events.results as Json[] | undefined) ?? []) ids.push((result.result as Json).event_id as string);
    if (typeof events.next_batch !== 'string') break;
    nextBatch = events.next_batch;
  }
  return ids;
}

/** Checks a room's messages in stream order: no tag twice, every acknowledged one present, send order per sender. */
function checkTimeline(tags: readonly string[], acked: readonly Sent[], where: string): void {
  expect(new Set(tags).size, `${where}: a message appears twice`).toBe(tags.length);
  const present = new Set(tags);
  const missing = acked.filter((sent) => !present.has(sent.tag)).map((sent) => sent.tag);
  expect(missing, `${where}: acknowledged sends missing`).toEqual([]);
  const lastBySender = new Map<string, number>();
  for (const tag of tags) {
    const [sender = '', n = '0'] = tag.split('x');
    const previous = lastBySender.get(sender) ?? -1;
    expect(Number(n), `${where}: ${tag} out of send order`).toBeGreaterThan(previous);
    lastBySender.set(sender, Number(n));
  }
}

describe.each(testDialects())('crash durability [%s]', (dialect) => {
  let dataDir = '';
  let scratch: ScratchDatabase | undefined;
  let server: ServerProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-crash-'));
    if (dialect === 'postgres') scratch = await createScratchDatabase(testPostgresUrl() as string);
    server = await serverProcess({ dataDir, serverName: SERVER_NAME, databaseUrl: scratch?.url });
    await server.start();
  }, 60_000);

  afterAll(async () => {
    await server.kill();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses and doubles nothing across three SIGKILLs under load', async () => {
    const { url } = server;
    const [carol, alice, bob, dave] = await Promise.all(['carol', 'alice', 'bob', 'dave'].map((name) => registerUser(server, name)));
    if (!carol || !alice || !bob || !dave) throw new Error('registration failed');
    const rooms: string[] = [];
    for (const name of ['one', 'two']) rooms.push((await ok(url, 'POST', '/createRoom', carol, { preset: 'public_chat', name })).room_id as string);
    for (const roomId of rooms) for (const user of [alice, bob]) await ok(url, 'POST', `/join/${encodeURIComponent(roomId)}`, user, {});
    const since = (await ok(url, 'GET', '/sync?timeout=0', carol)).next_batch as string;

    let running = true;
    const acked = new Map<string, Sent[]>(rooms.map((roomId) => [roomId, []]));
    const sender = async (user: TestUser, roomIndex: number, prefix: string): Promise<void> => {
      const roomId = rooms[roomIndex] as string;
      for (let n = 0; running; n += 1) {
        const tag = `${prefix}${roomIndex}x${n}`;
        const mention = n % 3 === 0;
        const content = { msgtype: 'm.text', body: `${WORD} ${tag} words`, ...(mention ? { 'm.mentions': { user_ids: [carol.userId] } } : {}) };
        try {
          const answer = await call(url, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${tag}`, user, content);
          if (answer.status === 200) acked.get(roomId)?.push({ tag, n, mention });
          else await sleep(50);
        } catch {
          // The server is down (killed, or restarting): this send is unacknowledged; go on with the next one.
          await sleep(50);
        }
      }
    };
    const senders = [sender(alice, 0, 'a'), sender(alice, 1, 'a'), sender(bob, 0, 'b'), sender(bob, 1, 'b')];

    let daveJoin: Promise<unknown> | null = null;
    for (let kill = 0; kill < KILLS; kill += 1) {
      await sleep(1_500 + Math.random() * 1_500);
      // The second kill lands right after dave's join was sent: its device-list change must survive either way.
      if (kill === 1) {
        daveJoin = call(url, 'POST', `/join/${encodeURIComponent(rooms[0] as string)}`, dave, {}).catch(() => null);
        await sleep(Math.random() * 30);
      }
      await server.kill();
      await server.start();
    }
    await daveJoin;
    await ok(url, 'POST', `/join/${encodeURIComponent(rooms[0] as string)}`, dave, {});
    await sleep(1_500);
    running = false;
    await Promise.all(senders);
    const total = [...acked.values()].reduce((sum, list) => sum + list.length, 0);
    expect(total, 'sends acknowledged under load').toBeGreaterThan(20);

    const presentByRoom = new Map<string, { tag: string; eventId: string }[]>();
    for (const roomId of rooms) {
      const present = await messagesOf(url, carol, roomId);
      checkTimeline(present.map((entry) => entry.tag), acked.get(roomId) ?? [], `/messages ${roomId}`);
      presentByRoom.set(roomId, present);
    }

    // /sync: every message once and in order; the counts equal the notifying (all) and mentioning messages present.
    const filter = encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 1000 } } }));
    await expect
      .poll(async () => {
        const sync = await ok(url, 'GET', `/sync?timeout=0&filter=${filter}`, carol);
        const join = (sync.rooms as Json).join as Record<string, Json>;
        return rooms.map((roomId) => join[roomId]?.unread_notifications);
      }, { timeout: 15_000, interval: 500 })
      .toEqual(rooms.map((roomId) => {
        const present = presentByRoom.get(roomId) ?? [];
        const mentions = present.filter((entry) => Number(entry.tag.split('x')[1]) % 3 === 0).length;
        return { notification_count: present.length, highlight_count: mentions };
      }));
    const sync = await ok(url, 'GET', `/sync?timeout=0&filter=${filter}`, carol);
    for (const roomId of rooms) {
      const timeline = ((((sync.rooms as Json).join as Record<string, Json>)[roomId]?.timeline as Json).events as Json[]);
      const tags = timeline.flatMap((event) => {
        const tag = tagOf((event.content as Json | undefined)?.body);
        return event.type === 'm.room.message' && tag !== null ? [tag] : [];
      });
      checkTimeline(tags, acked.get(roomId) ?? [], `/sync ${roomId}`);
      expect(tags).toEqual((presentByRoom.get(roomId) ?? []).map((entry) => entry.tag));
    }

    // /search finds every message present, and nothing else.
    const allPresent = [...presentByRoom.values()].flat().map((entry) => entry.eventId).sort();
    await expect.poll(async () => (await searchAll(url, carol)).sort(), { timeout: 15_000, interval: 500 }).toEqual(allPresent);

    // Dave's join (sent just before a kill) moved carol's device lists.
    const changes = await ok(url, 'GET', `/sync?timeout=0&since=${encodeURIComponent(since)}&filter=${encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 1 } } }))}`, carol);
    expect(((changes.device_lists as Json | undefined)?.changed as string[] | undefined) ?? []).toContain(dave.userId);
  }, 120_000);
});
