/** Client-side helpers of the pipeline benchmarks: users without passwords (no scrypt), rooms, sends, sync loops. */
import { setMaxListeners } from 'node:events';
import { call, type HasUrl } from '../http.js';
import type { RemoteServer } from '../remote-server.js';

export interface BenchUser {
  userId: string;
  accessToken: string;
}

/** Registers a password-less account (m.login.dummy), so setting up 1,000 users costs no password hashing. */
export async function registerFast(server: HasUrl, localpart: string): Promise<BenchUser> {
  const response = await fetch(`${server.url}/_matrix/client/v3/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: localpart, auth: { type: 'm.login.dummy' }, inhibit_login: false }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`registering ${localpart}: ${response.status} ${JSON.stringify(body)}`);
  return { userId: body.user_id as string, accessToken: body.access_token as string };
}

/** Runs `fn` over `items` with at most `width` calls in flight. */
export async function inBatches<T, R>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await fn(items[index] as T, index);
      }
    }),
  );
  return results;
}

export async function createRoom(server: HasUrl, owner: BenchUser, body: Record<string, unknown> = {}): Promise<string> {
  return (await call(server, owner, 'POST', '/createRoom', { preset: 'public_chat', ...body })).room_id as string;
}

export async function joinRoom(server: HasUrl, user: BenchUser, roomId: string): Promise<void> {
  await call(server, user, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
}

let txnCounter = 0;
export function sendMessage(server: HasUrl, user: BenchUser, roomId: string, body: string): Promise<Record<string, unknown>> {
  const txnId = `bench-${process.pid}-${++txnCounter}`;
  return call(server, user, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, { msgtype: 'm.text', body });
}

/** The filter every waiting sync uses: what a client with lazy-loaded members asks for. */
export const SYNC_FILTER = encodeURIComponent(
  JSON.stringify({ room: { timeline: { limit: 5 }, state: { lazy_load_members: true } }, presence: { types: [] } }),
);

export async function syncOnce(server: HasUrl, user: BenchUser, since?: string, timeoutMs = 0, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const query = since === undefined ? '' : `&since=${encodeURIComponent(since)}&timeout=${timeoutMs}`;
  return call(server, user, 'GET', `/sync?filter=${SYNC_FILTER}${query}`, undefined, signal);
}

/** A set of sync loops: how many answers they got, how many requests failed (and the first failure). */
export interface SyncLoops {
  answers(): number;
  failures(): { count: number; first: string | undefined };
  stop(): Promise<void>;
}

/**
 * Keeps one waiting /sync per entry of `users` (a user may appear several times) until stop() is called, as a
 * client does: each answer is followed at once by the next long poll from its next_batch. A failed request
 * (e.g. Node's 408 when an overloaded server did not read the headers within headers_timeout_ms) is counted and
 * retried after 100 ms, as clients retry.
 */
export function syncLoops(server: HasUrl, users: readonly BenchUser[], sinces: readonly string[]): SyncLoops {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // one signal for thousands of requests
  let answered = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const loop = async (user: BenchUser, since: string): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        const response = await syncOnce(server, user, since, 120_000, controller.signal);
        since = response.next_batch as string;
        answered++;
      } catch (error) {
        if (controller.signal.aborted) return;
        failed++;
        firstFailure ??= String(error);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const loops = users.map((user, index) => loop(user, sinces[index] as string));
  return {
    answers: () => answered,
    failures: () => ({ count: failed, first: firstFailure }),
    stop: async () => {
      controller.abort();
      await Promise.all(loops);
    },
  };
}

/** Prints how many sync requests of `loops` failed, if any: the figures measured beside them are then suspect. */
export function reportSyncFailures(loops: SyncLoops, label: string): void {
  const { count, first } = loops.failures();
  if (count > 0) console.log(`  (${label}: ${count} sync requests failed and were retried; first: ${first})`);
}

/** Server CPU ms and SQL statements spent by `fn`, with its wall time. */
export interface Cost {
  wallMs: number;
  cpuMs: number;
  /** The kernel's part of `cpuMs`. */
  systemCpuMs: number;
  statements: number;
}

export async function measure(server: RemoteServer, fn: () => Promise<unknown>): Promise<Cost> {
  const before = await server.stats();
  const start = performance.now();
  await fn();
  const wallMs = performance.now() - start;
  const after = await server.stats();
  return {
    wallMs,
    cpuMs: (after.cpuMicros - before.cpuMicros) / 1000,
    systemCpuMs: (after.systemMicros - before.systemMicros) / 1000,
    statements: after.statements - before.statements };
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Waits until the server's CPU use drops under 10% of a core (woken syncs answered), at most `maxMs`. */
export async function settle(server: RemoteServer, maxMs = 30_000): Promise<void> {
  const deadline = performance.now() + maxMs;
  let previous = await server.stats();
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const current = await server.stats();
    const busy = (current.cpuMicros - previous.cpuMicros) / 1000 / 250;
    previous = current;
    if (busy < 0.1) return;
  }
}

const population = new Map<string, BenchUser[]>();

/** The first `count` users of the server's shared population (`member0`, `member1`, ...), registered on demand. */
export async function members(server: HasUrl, count: number): Promise<BenchUser[]> {
  const users = population.get(server.url) ?? [];
  population.set(server.url, users);
  const missing = Array.from({ length: Math.max(0, count - users.length) }, (_, i) => users.length + i);
  users.push(...(await inBatches(missing, 10, (i) => registerFast(server, `member${i}`))));
  return users.slice(0, count);
}

/** One initial sync per user (with the bench filter), `width` at a time; returns each next_batch. */
export function initialSinces(server: HasUrl, users: readonly BenchUser[], width = 10): Promise<string[]> {
  return inBatches(users, width, async (user) => (await syncOnce(server, user)).next_batch as string);
}
