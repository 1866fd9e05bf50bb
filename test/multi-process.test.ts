/**
 * Two Parley processes on one PostgreSQL database and one Redis (each an in-process server with its own notifier,
 * caches and job claims, as two OS processes would have): a token revoked on one is refused by the other at once;
 * each background job (typing expiry, presence timeouts, redaction purge) runs in exactly one process, and the
 * other takes it over when that one stops; the redaction purge runs in that job, not in the /redact request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, validateConfig, type RunningServer } from '@parley/homeserver';
import { createLogger } from '../homeserver/src/log.js';
import { testBusPrefix, testRedisUrl } from '../homeserver/src/pubsub/testing.js';
import { openDatabase, type Database } from '../homeserver/src/storage/knex/connect.js';
import { createKnexStorage } from '../homeserver/src/storage/knex/storage.js';
import { createScratchDatabase, testPostgresUrl, type ScratchDatabase } from '../homeserver/src/storage/testing/scratch-postgres.js';
import { registerUser, uniqueLocalpart, type TestUser } from './support/homeserver.js';
import { api, createRoom, joinRoom, ok, sendMessage, sync, type Json } from './sync-helpers.js';

const JOBS = ['typing-expiry', 'presence-timeouts', 'redaction-purge'];

/** A server and the JSON log lines it wrote (at debug: every job run is one line). */
interface Process {
  server: RunningServer;
  url: string;
  lines: Json[];
}

/** The jobs this process logged taking (`holding background job`). */
const jobsHeldBy = (process: Process): string[] => process.lines.filter((line) => line.msg === 'holding background job').map((line) => line.job as string);
const runsOf = (process: Process, job: string): number => process.lines.filter((line) => line.msg === 'background job ran' && line.job === job).length;

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const postgresUrl = testPostgresUrl();
const redisUrl = testRedisUrl();

// Two processes share state only through PostgreSQL and Redis (SQLite and in-memory pub/sub are one process's);
// without TEST_POSTGRES_URL and TEST_REDIS_URL there is no shared deployment to test. CI sets both.
describe.skipIf(postgresUrl === undefined || redisUrl === undefined)('two processes on one PostgreSQL and Redis', () => {
  let scratch: ScratchDatabase | undefined;
  let database: Database | undefined;
  let dataDir = '';
  const processes: Process[] = [];
  const [first, second] = [() => processes[0] as Process, () => processes[1] as Process];

  async function startProcess(prefix: string): Promise<Process> {
    const lines: Json[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Json) } });
    const config = validateConfig(
      {
        data_dir: dataDir,
        rate_limits: { enabled: false },
        database: { url: scratch?.url },
        redis: { url: redisUrl },
        jobs: { lease_ttl_ms: 900 },
        rooms: { redaction_retention_ms: 1_500 },
      },
      { baseDir: dataDir },
    );
    const server = await startServer({ ...config, listen: { ...config.listen, port: 0 } }, { logger, redisPrefix: prefix, shutdownTimeoutMs: 2_000 });
    return { server, url: server.url, lines };
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase(postgresUrl as string);
    dataDir = mkdtempSync(join(tmpdir(), 'parley-multi-'));
    // One deployment: one channel prefix, one data dir (so one signing key), one database.
    const prefix = testBusPrefix();
    processes.push(await startProcess(prefix));
    processes.push(await startProcess(prefix));
    database = await openDatabase({ databaseUrl: scratch.url, sqlitePath: '' });
    // Both started: the first took every job (it registered them first), the second took none.
    await until(() => jobsHeldBy(first()).length === JOBS.length, 'the first process to hold the jobs');
  });
  afterAll(async () => {
    for (const process of processes) await process.server.close();
    await database?.close();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function whoami(process: Process, user: TestUser): Promise<number> {
    return (await api(process, 'GET', '/account/whoami', user)).status;
  }

  it('refuses a token logged out on one process on the other at once (no waiting)', async () => {
    const alice = await registerUser(first(), uniqueLocalpart('alice'));
    for (let round = 0; round < 5; round += 1) {
      const login = await ok(api(second(), 'POST', '/login', undefined, { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: alice.password }), 'login');
      const session = { ...alice, accessToken: login.access_token as string };
      // The token is in both processes' caches now.
      expect(await whoami(first(), session)).toBe(200);
      expect(await whoami(second(), session)).toBe(200);
      const [revoker, other] = round % 2 === 0 ? [first(), second()] : [second(), first()];
      await ok(api(revoker, 'POST', '/logout', session, {}), 'logout');
      const answer = await api(other, 'GET', '/account/whoami', session);
      expect(answer.status).toBe(401);
      expect(answer.body.errcode).toBe('M_UNKNOWN_TOKEN');
    }
  });

  it('refuses every token of a user after /logout/all on the other process', async () => {
    const bob = await registerUser(first(), uniqueLocalpart('bob'));
    const login = await ok(api(first(), 'POST', '/login', undefined, { type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.userId }, password: bob.password }), 'login');
    const sessions = [bob, { ...bob, accessToken: login.access_token as string }];
    for (const session of sessions) expect(await whoami(second(), session)).toBe(200);
    await ok(api(first(), 'POST', '/logout/all', bob, {}), 'logout/all');
    for (const session of sessions) expect(await whoami(second(), session)).toBe(401);
  });

  it('lets only the lease holder run each job: typing set on the other process still expires, swept by the holder', async () => {
    expect(jobsHeldBy(second())).toEqual([]);
    const carol = await registerUser(first(), uniqueLocalpart('carol'));
    const dave = await registerUser(first(), uniqueLocalpart('dave'));
    const roomId = await createRoom(first(), carol, { invite: [dave.userId] });
    await joinRoom(first(), dave, roomId);
    const runsBefore = runsOf(first(), 'typing-expiry');
    await ok(api(second(), 'PUT', `/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(dave.userId)}`, dave, { typing: true, timeout: 500 }), 'typing');
    const typingIn = (body: Json): string[] | undefined => {
      const room = (body.rooms as { join: Record<string, { ephemeral?: { events: Json[] } }> }).join[roomId];
      const typing = room?.ephemeral?.events.find((event) => event.type === 'm.typing');
      return (typing?.content as { user_ids: string[] } | undefined)?.user_ids;
    };
    const initial = await sync(second(), carol);
    expect(typingIn(initial)).toEqual([dave.userId]);
    // Nobody stops typing: the expiry reaches Carol's waiting sync on the non-holder only if the holder swept it.
    let since = initial.next_batch as string;
    await until(async () => {
      const body = await sync(second(), carol, { since, timeout: 2_000 });
      since = body.next_batch as string;
      return typingIn(body)?.length === 0;
    }, 'the typing notification to expire');
    expect(runsOf(first(), 'typing-expiry')).toBeGreaterThan(runsBefore);
    for (const job of JOBS) expect(runsOf(second(), job)).toBe(0);
    expect((await createKnexStorage(database as Database).leases.get('typing-expiry'))?.holder).toBe(first().server.instanceId);
  });

  it('purges a redacted original in the background job after the retention, not in the /redact request', async () => {
    const erin = await registerUser(second(), uniqueLocalpart('erin'));
    const roomId = await createRoom(second(), erin, {});
    const eventId = await sendMessage(second(), erin, roomId, 'regrettable words');
    await ok(api(second(), 'PUT', `/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(eventId)}/t1`, erin, {}), 'redact');
    const storage = createKnexStorage(database as Database);
    const stored = async () => (await storage.events.getEvents([eventId]))[0]?.pdu.content as Json | undefined;
    // The request kept the original (retention 1.5 s); no further request is made, yet the job purges it.
    expect(await stored()).toMatchObject({ body: 'regrettable words' });
    await until(async () => JSON.stringify(await stored()) === '{}', 'the purge job');
    const purgedBy = (process: Process) => process.lines.filter((line) => line.msg === 'purged the originals of redacted events').length;
    expect(purgedBy(first())).toBe(1);
    expect(purgedBy(second())).toBe(0);
  });

  it('hands every job to the other process when the holder stops, which then sweeps', async () => {
    await first().server.close();
    await until(() => jobsHeldBy(second()).length === JOBS.length, 'the second process to take the jobs over', 5_000);
    const storage = createKnexStorage(database as Database);
    for (const job of JOBS) expect((await storage.leases.get(job))?.holder).toBe(second().server.instanceId);
    const frank = await registerUser(second(), uniqueLocalpart('frank'));
    const roomId = await createRoom(second(), frank, {});
    const runsBefore = runsOf(second(), 'typing-expiry');
    await ok(api(second(), 'PUT', `/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(frank.userId)}`, frank, { typing: true, timeout: 300 }), 'typing');
    await until(() => runsOf(second(), 'typing-expiry') > runsBefore, 'the new holder to sweep typing');
  });
});
