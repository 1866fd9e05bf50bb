/**
 * matrix-js-sdk 37.5.0 clients for integration tests: Node-friendly (no crypto unless asked, no IndexedDB), with
 * the SDK's chatty debug logging turned down to warnings.
 */
import { createRequire } from 'node:module';
import { ClientEvent, createClient, SyncState, type ICreateClientOpts, type MatrixClient } from 'matrix-js-sdk';
import type { TestHomeserver, TestUser } from './homeserver.js';

/** The part of loglevel (matrix-js-sdk's logging library) used to quieten it. */
interface LogLevelLogger {
  methodFactory: (methodName: string, level: number, loggerName: string | symbol) => (...args: unknown[]) => void;
  setLevel(level: 'warn', persist?: boolean): void;
  rebuild(): void;
}
interface LogLevelModule {
  getLoggers(): Record<string, LogLevelLogger>;
  getLogger(name: string): LogLevelLogger;
}

const QUIET_METHODS = new Set(['trace', 'debug', 'info', 'log']);
let quietened = false;

/**
 * Silences matrix-js-sdk below `warn`. Its loggers come from loglevel; child loggers are created at DEBUG and copy
 * their parent's method factory, so the factory itself drops the quiet levels and existing loggers are rebuilt.
 */
export function quietenSdkLogging(): void {
  if (quietened) return;
  quietened = true;
  const loglevel = createRequire(import.meta.url)('loglevel') as LogLevelModule;
  const loggers = [loglevel.getLogger('matrix'), ...Object.values(loglevel.getLoggers())];
  for (const logger of loggers) {
    const original = logger.methodFactory;
    logger.methodFactory = (methodName, level, loggerName) =>
      QUIET_METHODS.has(methodName) ? () => {} : original(methodName, level, loggerName);
    logger.setLevel('warn', false);
    logger.rebuild();
  }
}

/** Credentials a client logs in with. */
export type ClientCredentials = Pick<TestUser, 'userId' | 'accessToken' | 'deviceId'>;

/**
 * A matrix-js-sdk client for `credentials` on `server`. Not started: call `client.startClient()` (then
 * {@link waitForSync}) when the test needs sync. `options` are passed through to `createClient`.
 */
export function createSdkClient(
  server: Pick<TestHomeserver, 'url'>,
  credentials: ClientCredentials,
  options: Partial<ICreateClientOpts> = {},
): MatrixClient {
  quietenSdkLogging();
  return createClient({
    baseUrl: server.url,
    userId: credentials.userId,
    accessToken: credentials.accessToken,
    deviceId: credentials.deviceId,
    timelineSupport: true,
    ...options,
  });
}

/** A client without credentials (for registering and logging in through the SDK). */
export function createAnonymousSdkClient(server: Pick<TestHomeserver, 'url'>, options: Partial<ICreateClientOpts> = {}): MatrixClient {
  quietenSdkLogging();
  return createClient({ baseUrl: server.url, ...options });
}

/** Resolves once the client's first sync completed (state PREPARED or SYNCING); rejects on ERROR or timeout. */
export function waitForSync(client: MatrixClient, timeoutMs = 20_000): Promise<void> {
  const ready = (state: SyncState | null): boolean => state === SyncState.Prepared || state === SyncState.Syncing;
  if (ready(client.getSyncState())) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(ClientEvent.Sync, onSync);
      reject(new Error(`no sync within ${timeoutMs} ms (state ${String(client.getSyncState())})`));
    }, timeoutMs);
    const onSync = (state: SyncState, _previous: SyncState | null, data?: { error?: Error }): void => {
      if (ready(state)) {
        clearTimeout(timer);
        client.off(ClientEvent.Sync, onSync);
        resolve();
      } else if (state === SyncState.Error) {
        clearTimeout(timer);
        client.off(ClientEvent.Sync, onSync);
        reject(data?.error ?? new Error('sync failed'));
      }
    };
    client.on(ClientEvent.Sync, onSync);
  });
}

/** Stops a client's sync loop and timers (safe on clients that never started). */
export function stopClient(client: MatrixClient): void {
  client.stopClient();
  client.removeAllListeners();
}

/**
 * Turns on the client's Rust crypto (matrix-sdk-crypto-wasm, in memory: no IndexedDB in Node), then turns the
 * crypto library's own tracing down from the DEBUG level matrix-js-sdk sets to warnings.
 */
export async function initRustCryptoQuietly(client: MatrixClient): Promise<void> {
  await client.initRustCrypto({ useIndexedDB: false });
  const wasm = await import('@matrix-org/matrix-sdk-crypto-wasm');
  new wasm.Tracing(wasm.LoggerLevel.Warn).turnOn();
}
