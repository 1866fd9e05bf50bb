/**
 * Raw-HTTP helpers for the sync tests: one request, the room calls a sync test needs, and /sync itself.
 */
import type { TestHomeserver, TestUser } from './support/homeserver.js';

export type Json = Record<string, unknown>;

export interface Answer {
  status: number;
  body: Json;
}

/** One Client-Server request under /_matrix/client/v3; a string `body` is sent as is (for malformed JSON). */
export async function api(server: Pick<TestHomeserver, 'url'>, method: string, path: string, user?: Pick<TestUser, 'accessToken'>, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (user) headers.Authorization = `Bearer ${user.accessToken}`;
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(`${server.url}/_matrix/client/v3${path}`, init);
  return { status: response.status, body: (await response.json()) as Json };
}

/** Asserts a 200 and returns the body. */
export async function ok(answer: Promise<Answer>, what: string): Promise<Json> {
  const { status, body } = await answer;
  if (status !== 200) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
  return body;
}

export async function createRoom(server: Pick<TestHomeserver, 'url'>, user: TestUser, body: Json): Promise<string> {
  return (await ok(api(server, 'POST', '/createRoom', user, body), 'createRoom')).room_id as string;
}

export async function joinRoom(server: Pick<TestHomeserver, 'url'>, user: TestUser, roomId: string): Promise<void> {
  await ok(api(server, 'POST', `/join/${encodeURIComponent(roomId)}`, user, {}), 'join');
}

let txn = 0;

export async function sendMessage(server: Pick<TestHomeserver, 'url'>, user: TestUser, roomId: string, body: string): Promise<string> {
  txn += 1;
  const path = `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${Date.now()}-${txn}`;
  return (await ok(api(server, 'PUT', path, user, { msgtype: 'm.text', body }), 'send')).event_id as string;
}

export interface SyncQuery {
  since?: string;
  filter?: string;
  timeout?: number;
  full_state?: boolean;
  set_presence?: 'online' | 'offline' | 'unavailable';
}

/** GET /sync, asserting a 200. */
export async function sync(server: Pick<TestHomeserver, 'url'>, user: TestUser, query: SyncQuery = {}): Promise<Json> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  return ok(api(server, 'GET', `/sync?${params.toString()}`, user), 'sync');
}
