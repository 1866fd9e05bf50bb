/**
 * Starting real homeservers in-process (`startServer` on port 0 with a temp data dir), on SQLite or on a fresh
 * PostgreSQL database, and registering users over raw HTTP. Free of vitest, so benchmarks use it too.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, validateConfig, type ConfigInput, type RunningServer } from '@parley/homeserver';
import { createScratchDatabase, testPostgresUrl } from '../../homeserver/src/storage/testing/scratch-postgres.js';

export type TestDialect = 'sqlite' | 'postgres';

export interface TestHomeserverOptions {
  dialect?: TestDialect;
  /**
   * Config keys to set (deep-merged over the test defaults). Rate limits are off unless `rate_limits` is given,
   * logging is at `warn` unless `log` is given, and guest accounts are allowed unless `registration.allow_guests`
   * says otherwise.
   */
  config?: ConfigInput;
}

export interface TestHomeserver {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  /** The server name in user and room IDs. */
  serverName: string;
  dialect: TestDialect;
  server: RunningServer;
  /** Stops the server and deletes its data (drops the PostgreSQL database). Idempotent. */
  close(): Promise<void>;
}

/** Starts a homeserver; on PostgreSQL (needs `TEST_POSTGRES_URL`) in a database of its own, dropped by close(). */
export async function startTestHomeserver(options: TestHomeserverOptions = {}): Promise<TestHomeserver> {
  const dialect = options.dialect ?? 'sqlite';
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-hs-'));
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(dataDir, { recursive: true, force: true })];
  const cleanUp = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const defaults: ConfigInput = {
      data_dir: dataDir,
      log: { level: 'warn' },
      rate_limits: { enabled: false },
      registration: { allow_guests: true },
    };
    const input = mergeConfig(defaults, options.config ?? {});
    if (dialect === 'postgres') {
      const adminUrl = testPostgresUrl();
      if (adminUrl === undefined) throw new Error('startTestHomeserver: set TEST_POSTGRES_URL to test on PostgreSQL');
      const scratch = await createScratchDatabase(adminUrl);
      cleanups.push(() => scratch.drop());
      input.database = { url: scratch.url };
    }
    const config = validateConfig(input, { baseDir: dataDir });
    const server = await startServer({ ...config, listen: { ...config.listen, port: 0 } }, { shutdownTimeoutMs: 2_000 });
    cleanups.push(() => server.close());
    let closing: Promise<void> | undefined;
    return {
      url: server.url,
      serverName: config.server_name,
      dialect,
      server,
      close: () => (closing ??= cleanUp()),
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** Credentials of a registered user. */
export interface TestUser {
  userId: string;
  accessToken: string;
  deviceId: string;
  password: string;
}

/**
 * Registers `localpart` through POST /register with the m.login.dummy stage (raw fetch, no SDK).
 * The password defaults to `password-<localpart>`.
 */
export async function registerUser(
  server: Pick<TestHomeserver, 'url'>,
  localpart: string,
  password = `password-${localpart}`,
): Promise<TestUser> {
  const response = await fetch(`${server.url}/_matrix/client/v3/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: localpart, password, auth: { type: 'm.login.dummy' } }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`registering ${localpart} failed: ${response.status} ${JSON.stringify(body)}`);
  return {
    userId: body.user_id as string,
    accessToken: body.access_token as string,
    deviceId: body.device_id as string,
    password,
  };
}

/** Dialects to test on: SQLite always, PostgreSQL when `TEST_POSTGRES_URL` (or `DATABASE_URL`) is set. */
export function testDialects(): TestDialect[] {
  return testPostgresUrl() === undefined ? ['sqlite'] : ['sqlite', 'postgres'];
}

/** A unique localpart for tests sharing one server, e.g. `alice-3f9a1c`. */
export function uniqueLocalpart(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Deep-merges plain objects (arrays and other values replace). */
function mergeConfig(base: ConfigInput, overrides: ConfigInput): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides as Record<string, unknown>)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : value;
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
