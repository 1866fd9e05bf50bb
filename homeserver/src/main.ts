/**
 * The composition root: the one place that opens the database, loads the signing key, builds the services and
 * the HTTP app, and listens. `startServer` is also what integration tests and benchmarks use in-process.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import {
  formatSigningKeyLine,
  generateSigningKey,
  parseSigningKeyLine,
  type SigningKey,
} from '@parley/federation';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config/schema.js';
import { createApp } from './http/app.js';
import { answerClientErrors } from './http/client-error.js';
import { createHttpMetrics } from './http/metrics.js';
import { createLogger, type Logger } from './log.js';
import { createServerKeys } from './services/federation/index.js';
import { closeServices, createServices, type Services } from './services/registry.js';
import { createBackgroundJobs } from './services/jobs/index.js';
import {
  createRegistrationToken as createTokenIn,
  setServerAdmin as setAdminIn,
  type NewRegistrationToken,
  type RegistrationTokenInfo,
} from './services/accounts/index.js';
import { createAuthenticators } from './http/middleware/auth.js';
import { attachRateLimiter, attemptLimiterFrom, createRateLimiter } from './http/middleware/rate-limit.js';
import { clientRoutes, federationRoutes } from './http/routes.js';
import type { Notifier } from './pubsub/index.js';
import { createMemoryNotifier } from './pubsub/memory.js';
import { createRedisNotifier } from './pubsub/redis.js';
import { openDatabase, type Database } from './storage/knex/connect.js';
import { createKnexStorage } from './storage/knex/storage.js';

export { loadConfig, validateConfig, ConfigError } from './config/load.js';
export type { Config, ConfigInput } from './config/schema.js';

/** The implementation name reported over federation. */
export const SERVER_NAME_SOFTWARE = 'Parley';

export interface StartServerOptions {
  /** Defaults to a pino logger at `config.log.level` writing to stdout. */
  logger?: Logger;
  clock?: Clock;
  /**
   * An already open database to use instead of opening the configured one. The caller keeps ownership:
   * `close()` does not close it.
   */
  database?: Database;
  /** How long `close()` waits for in-flight requests before cutting connections. Default 10 s. */
  shutdownTimeoutMs?: number;
  /**
   * Prefix of the Redis pub/sub channel (with `redis.url`): processes of one deployment must share it.
   * Default `parley:<server_name>:`, so deployments sharing a Redis stay apart; tests pass their own.
   */
  redisPrefix?: string;
}

/** A listening server. */
export interface RunningServer {
  /** e.g. `http://127.0.0.1:8008`, with the real port when the config asked for port 0. */
  url: string;
  port: number;
  config: Config;
  /** This process's holder ID in the job leases table. */
  instanceId: string;
  /** The domain services (for tests and tools, e.g. feeding remote-style PDUs through the pipeline). */
  services: Services;
  /** Stops accepting, waits for in-flight requests (up to the timeout), closes the database. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** Starts a homeserver for a resolved config. `config.listen.port` may be 0 to pick a free port. */
export async function startServer(config: Config, options: StartServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const clock = options.clock ?? systemClock;
  const signingKey = config.signing_key
    ? parseSigningKeyLine(config.signing_key)
    : await loadOrCreateSigningKey(config.signing_key_path, logger);

  const ownsDatabase = options.database === undefined;
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.database.url,
      sqlitePath: config.database.sqlite_path,
      logger: logger.child({ component: 'storage' }),
    }));

  const storage = createKnexStorage(database);
  // Embedded default: one process, in-memory wake-ups. With redis.url the Redis notifier carries them.
  let notifier: Notifier;
  try {
    notifier = await createNotifier(config, options, logger);
  } catch (error) {
    if (ownsDatabase) await database.close();
    throw error;
  }
  const rateLimiter = createRateLimiter({
    limits: config.rate_limits,
    redisUrl: config.redis.url,
    serverName: config.server_name,
    logger: logger.child({ component: 'rate-limit' }),
  });
  // Sweeps and purges run in the one process holding each job's lease (on SQLite: always this one).
  const jobs = createBackgroundJobs({ leases: storage.leases, clock, logger }, { leaseTtlMs: config.jobs.lease_ttl_ms });
  const services = createServices(
    { config, storage, notifier, clock, logger, serverName: config.server_name, signingKey, jobs },
    {
      // Password checks (/login and UIA) share the login limit, per account and per address.
      attemptLimiter: attemptLimiterFrom(rateLimiter, 'login'),
      // Only accounts created (and failed registration stages) count against the register limit, per address.
      registrationLimiter: attemptLimiterFrom(rateLimiter, 'register'),
    },
  );
  attachRateLimiter(services, rateLimiter);
  // Derived rows an older version (which wrote them after commit) left undone, before any new write moves the
  // readers' positions past them.
  await services.streamReaders.catchUp();

  let shuttingDown = false;
  const serverKeys = createServerKeys({
    serverName: config.server_name,
    signingKey,
    oldVerifyKeys: config.old_verify_keys,
    clock,
  });
  const app = createApp({
    config,
    logger,
    metrics: createHttpMetrics(),
    serverKeys,
    software: { name: SERVER_NAME_SOFTWARE, version: await packageVersion() },
    isShuttingDown: () => shuttingDown,
    routes: [...clientRoutes(services), ...federationRoutes(services)],
    authenticators: createAuthenticators(services),
  });

  const server = createServer(
    {
      // A client that trickles its request (slowloris) loses the socket instead of holding it for Node's 300 s.
      requestTimeout: config.http.request_timeout_ms,
      headersTimeout: Math.min(config.http.headers_timeout_ms, config.http.request_timeout_ms),
      keepAliveTimeout: config.http.keep_alive_timeout_ms,
      // How often those timeouts are checked (Node's default, 30 s, would let a slow request live that much longer).
      connectionsCheckingInterval: 1_000,
    },
    app,
  );
  server.on('clientError', answerClientErrors(logger));
  let port: number;
  try {
    port = await listen(server, config.listen.port, config.listen.bind);
  } catch (error) {
    await closeServices(services).catch(() => undefined);
    await jobs.close();
    await rateLimiter.close();
    await notifier.close();
    if (ownsDatabase) await database.close();
    throw error;
  }
  const url = `http://${urlHost(config.listen.bind)}:${port}`;
  logger.info({ url, serverName: config.server_name, keyId: signingKey.keyId, dialect: database.dialect }, 'listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      logger.info({}, 'shutting down');
      await closeHttpServer(server, options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
      // Background timers (typing expiry, presence sweep) write to storage: stop them before it closes.
      await closeServices(services).catch((error: unknown) => logger.warn({ err: error }, 'closing services failed'));
      // Released leases let another process take the jobs over at its next renewal instead of after the TTL.
      await jobs.close();
      await notifier.close();
      await rateLimiter.close();
      if (ownsDatabase) await database.close();
      logger.info({}, 'stopped');
    })();
    return closing;
  };
  return { url, port, config, instanceId: jobs.instanceId, services, close };
}

/** The notifier: Redis pub/sub when `redis.url` is set (several processes), else in-process. */
async function createNotifier(config: Config, options: StartServerOptions, logger: Logger): Promise<Notifier> {
  if (!config.redis.url) return createMemoryNotifier();
  const log = logger.child({ component: 'notifier' });
  const notifier = await createRedisNotifier({
    url: config.redis.url,
    prefix: options.redisPrefix ?? `parley:${config.server_name}:`,
    onError: (error) => log.warn({ err: error }, 'redis notifier error'),
  });
  log.info({}, 'wake-ups go through redis');
  return notifier;
}

/**
 * Creates a registration token in the configured database (what `parley create-registration-token` runs). Works
 * while the server is running.
 * https://spec.matrix.org/v1.19/client-server-api/#token-authenticated-registration
 */
export async function createRegistrationToken(
  config: Config,
  options: NewRegistrationToken,
  clock: Clock = systemClock,
): Promise<RegistrationTokenInfo> {
  const database = await openDatabase({ databaseUrl: config.database.url, sqlitePath: config.database.sqlite_path });
  try {
    return await createTokenIn(createKnexStorage(database).accounts, clock, options);
  } finally {
    await database.close();
  }
}

/**
 * Makes a local user a server admin, or (`admin: false`) takes that away, in the configured database (what
 * `parley make-admin` runs). Works while the server is running: admin status is read on every check. False when
 * the user does not exist.
 * https://spec.matrix.org/v1.19/client-server-api/#server-administration
 */
export async function setServerAdmin(config: Config, userId: string, options: { admin: boolean }): Promise<boolean> {
  const database = await openDatabase({ databaseUrl: config.database.url, sqlitePath: config.database.sqlite_path });
  try {
    return await setAdminIn(createKnexStorage(database).accounts, userId, options);
  } finally {
    await database.close();
  }
}

/**
 * Reads the signing key file, or creates it (readable by the owner only) with a fresh key on first start.
 * https://spec.matrix.org/v1.19/appendices/#signing-key
 */
export async function loadOrCreateSigningKey(path: string, logger: Logger): Promise<SigningKey> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    const line = text.split('\n').find((candidate) => candidate.trim() !== '');
    if (!line) throw new Error(`signing key file ${path} is empty`);
    return parseSigningKeyLine(line);
  }
  const key = generateSigningKey();
  await mkdir(dirname(path), { recursive: true });
  try {
    // 'wx' fails rather than overwrite a key another process wrote in the meantime; then use that one.
    await writeFile(path, `${formatSigningKeyLine(key)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateSigningKey(path, logger);
    throw error;
  }
  logger.info({ path, keyId: key.keyId }, 'generated a new signing key');
  return key;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting, lets in-flight requests finish, and after `timeoutMs` cuts whatever is still open. */
async function closeHttpServer(server: Server, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections whose request was in flight at close() become idle later; close them as they do.
  server.closeIdleConnections();
  const sweeper = setInterval(() => server.closeIdleConnections(), 50);
  const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
  try {
    await closed;
  } finally {
    clearInterval(sweeper);
    clearTimeout(timer);
  }
}

function urlHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '::') return '127.0.0.1';
  return bind.includes(':') && !bind.startsWith('[') ? `[${bind}]` : bind;
}

let cachedVersion: string | undefined;

/** The homeserver package's version, for `/_matrix/federation/v1/version`. */
async function packageVersion(): Promise<string> {
  if (cachedVersion === undefined) {
    const text = await readFile(new URL('../package.json', import.meta.url), 'utf8');
    cachedVersion = (JSON.parse(text) as { version: string }).version;
  }
  return cachedVersion;
}
