/**
 * Measures what push costs per message in a room of N local members (printed, never asserted):
 * wall ms per `onEventPersisted`, and the rows it leaves behind. Not part of the test suite.
 *
 *   npx tsx homeserver/src/storage/testing/measure-push-cost.ts [members=1000] [messages=50]
 *
 * SQLite in a temp directory; PostgreSQL when TEST_POSTGRES_URL is set (a scratch database, dropped after).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../config/schema.js';
import { systemClock } from '../../clock.js';
import { silentLogger } from '../../log.js';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import type { Storage, StoredEvent } from '../index.js';
import { openDatabase, type Database } from '../knex/connect.js';
import { createKnexStorage } from '../knex/storage.js';
import { testEvent } from './fixtures.js';
import { createScratchDatabase, testPostgresUrl } from './scratch-postgres.js';
import type { CoreDeps } from '../../services/deps.js';
import { createPushService, type PushService } from '../../services/push/index.js';

const SERVER = 'measure.example';

async function stored(storage: Storage, event: ReturnType<typeof testEvent>): Promise<StoredEvent> {
  await storage.events.persist(event);
  return (await storage.events.getEvents([event.eventId]))[0] as StoredEvent;
}

/** A room with `members` joined local users; every member event goes through push like the server does. */
async function buildRoom(storage: Storage, push: PushService, members: number): Promise<{ roomId: string; users: string[]; group: number }> {
  const roomId = `!measure${Date.now()}:${SERVER}`;
  const users = Array.from({ length: members }, (_, index) => `@user${index}:${SERVER}`);
  const state: { type: string; stateKey: string; eventId: string }[] = [];
  const create = testEvent({ roomId, type: 'm.room.create', stateKey: '', sender: users[0] });
  create.pdu.content = { room_version: '12' };
  state.push({ type: 'm.room.create', stateKey: '', eventId: (await stored(storage, create)).eventId });
  for (const userId of users) {
    const join = testEvent({ roomId, type: 'm.room.member', stateKey: userId, sender: userId });
    join.pdu.content = { membership: 'join', displayname: userId.slice(1, 8) };
    const event = await stored(storage, join);
    state.push({ type: 'm.room.member', stateKey: userId, eventId: event.eventId });
    await push.onEventPersisted(event, { roomVersion: '12' });
  }
  const group = await storage.roomState.createStateGroup({ roomId, prevGroup: null, set: state, remove: [] });
  return { roomId, users, group };
}

async function countRows(database: Database, table: string): Promise<number> {
  const [row] = (await database.knex(table).count({ n: '*' })) as { n: unknown }[];
  return Number(row?.n ?? 0);
}

async function measure(database: Database, label: string, members: number, messages: number): Promise<void> {
  const storage = createKnexStorage(database);
  const deps = {
    storage,
    notifier: createMemoryNotifier(),
    clock: systemClock,
    logger: silentLogger(),
    serverName: SERVER,
    config: configSchema.parse({}),
    signingKey: {},
  } as unknown as CoreDeps;
  const push = createPushService(deps);
  const { roomId, users, group } = await buildRoom(storage, push, members);
  const before = await countRows(database, 'event_push_actions');
  const timings: number[] = [];
  for (let index = 0; index < messages; index += 1) {
    const message = await stored(storage, testEvent({ roomId, sender: users[index % 10] }));
    const started = process.hrtime.bigint();
    await push.onEventPersisted(message, { roomVersion: '12', stateGroup: group });
    timings.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const rows = (await countRows(database, 'event_push_actions')) - before;
  timings.sort((a, b) => a - b);
  const mean = timings.reduce((sum, value) => sum + value, 0) / timings.length;
  const counts = await push.getUnreadCounts(users.at(-1) ?? '', [roomId]);
  process.stdout.write(
    `${label}: ${members} members, ${messages} messages: mean ${mean.toFixed(2)} ms, p50 ${timings[Math.floor(timings.length / 2)]?.toFixed(2)} ms, ` +
      `per-user rows written ${rows} (${(rows / messages).toFixed(1)}/message); a member's count ${JSON.stringify(counts.get(roomId)?.total)}\n`,
  );
}

async function main(): Promise<void> {
  const members = Number(process.argv[2] ?? 1000);
  const messages = Number(process.argv[3] ?? 50);
  const directory = mkdtempSync(join(tmpdir(), 'parley-measure-'));
  const sqlite = await openDatabase({ databaseUrl: undefined, sqlitePath: join(directory, 'parley.db') });
  try {
    await measure(sqlite, 'sqlite', members, messages);
  } finally {
    await sqlite.close();
    rmSync(directory, { recursive: true, force: true });
  }
  const adminUrl = testPostgresUrl();
  if (adminUrl === undefined) return;
  const scratch = await createScratchDatabase(adminUrl);
  const postgres = await openDatabase({ databaseUrl: scratch.url, sqlitePath: '' });
  try {
    await measure(postgres, 'postgres', members, messages);
  } finally {
    await postgres.close();
    await scratch.drop();
  }
}

await main();
