/**
 * The knex implementation of {@link Storage}: one set of repositories for SQLite and PostgreSQL.
 * Only `main.ts` and tests construct it.
 */
import type { Storage } from '../index.js';
import type { Database } from './connect.js';
import type { SqlContext } from './dialect.js';
import { createEventRepository } from './events.repo.js';
import { createRoomRepository } from './rooms.repo.js';
import { createServerKeyRepository } from './server-keys.repo.js';
import { createStreamPositions } from './stream-positions.repo.js';
import { transaction } from './tx.js';
import { createAccountStore } from './accounts.repo.js';
import { createEphemeralStore } from './ephemeral.repo.js';
import { createPushStore } from './push.repo.js';
import { createRoomStateStore } from './room-state.repo.js';
import { createSearchStore } from './search.repo.js';
import { createSyncStore } from './sync.repo.js';
import { createUserDataStore } from './user-data.repo.js';
import { createKeyBackupStore } from './key-backup.repo.js';
import { createToDeviceStore } from './to-device.repo.js';
import { createE2eeStore } from './e2ee.repo.js';
import { createStreamReaderStore } from './stream-readers.repo.js';
import { createJobLeaseStore } from './leases.repo.js';
import { createOpenIdTokenStore } from './openid.repo.js';

/** Builds the Storage services use on top of an open, migrated database. */
export function createKnexStorage(db: Database): Storage {
  return storageOn({ db: db.knex, dialect: db.dialect });
}

/** Makes each repository of a {@link Storage}. */
const REPOSITORIES: { [K in Exclude<keyof Storage, 'transaction'>]: (ctx: SqlContext) => Storage[K] } = {
  serverKeys: createServerKeyRepository,
  streams: createStreamPositions,
  rooms: createRoomRepository,
  events: createEventRepository,
  accounts: createAccountStore,
  roomState: createRoomStateStore,
  ephemeral: createEphemeralStore,
  push: createPushStore,
  search: createSearchStore,
  sync: createSyncStore,
  userData: createUserDataStore,
  keyBackup: createKeyBackupStore,
  toDevice: createToDeviceStore,
  e2ee: createE2eeStore,
  streamReaders: createStreamReaderStore,
  leases: createJobLeaseStore,
  openIdTokens: createOpenIdTokenStore,
};

/**
 * Repositories bound to `ctx.db`: the pool, or inside {@link Storage.transaction} the transaction. Each is made
 * on first use: a transaction touches a few of them, and making all of them was a measurable part of a send.
 */
function storageOn(ctx: SqlContext): Storage {
  const storage = { transaction: (fn) => transaction(ctx.db, (trx) => fn(storageOn({ ...ctx, db: trx }))) } as Storage;
  for (const [name, make] of Object.entries(REPOSITORIES) as [keyof typeof REPOSITORIES, (ctx: SqlContext) => unknown][]) {
    Object.defineProperty(storage, name, {
      enumerable: true,
      configurable: true,
      get() {
        const repository = make(ctx);
        Object.defineProperty(storage, name, { value: repository, enumerable: true });
        return repository;
      },
    });
  }
  return storage;
}
