/**
 * What the accounts domain's inner files share: storage, clock, settings and the listener lists.
 */
import type { Clock } from '../../clock.js';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import type { Storage } from '../../storage/index.js';
import type { AttemptLimiter, DeviceChange, Listener } from './types.js';
import type { PasswordChecker, PasswordHasher } from './password-check.js';
import type { TokenCache } from './token-cache.js';
import type { Uia } from './uia.js';

export interface AccountsContext {
  storage: Storage;
  clock: Clock;
  config: Pick<Config, 'registration' | 'sessions' | 'limits'>;
  logger: Logger;
  serverName: string;
  uia: Uia;
  hooks: AccountHooks;
  /** scrypt behind the FIFO gate: every password hash goes through here. */
  passwords: PasswordHasher;
  /** Rate-limited password checks for /login and UIA. */
  passwordChecks: PasswordChecker;
  /** The `register` limit: accounts created and failed registration stages, per address (registration-limit.ts). */
  registrationAttempts: AttemptLimiter;
  /** Recently authenticated tokens (see token-cache.ts); after revoking any token call {@link revokeTokens}. */
  tokens: TokenCache;
  /**
   * Forgets `userId`'s cached tokens here and, through the notifier, in every other process; resolves once the
   * invalidation is on its way, so a revocation answered to the client holds everywhere.
   */
  revokeTokens(userId: string): Promise<void>;
}

/** Listener lists for the hooks other domains register through index.ts. */
export interface AccountHooks {
  registered: ListenerList<{ userId: string }>;
  deactivated: ListenerList<{ userId: string }>;
  deviceChanged: ListenerList<DeviceChange>;
}

export interface ListenerList<T> {
  add(listener: Listener<T>): void;
  /** Calls every listener in order; a failing listener is logged and does not stop the others. */
  emit(value: T): Promise<void>;
}

export function createListenerList<T>(logger: Logger, name: string): ListenerList<T> {
  const listeners: Listener<T>[] = [];
  return {
    add: (listener) => {
      listeners.push(listener);
    },
    async emit(value) {
      for (const listener of listeners) {
        try {
          await listener(value);
        } catch (error) {
          logger.error({ err: error, hook: name }, 'account hook failed');
        }
      }
    },
  };
}

/** Our own user ID for a localpart. */
export function userIdFor(context: AccountsContext, localpart: string): string {
  return `@${localpart}:${context.serverName}`;
}
