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

/** Repositories bound to `ctx.db`: the pool, or inside {@link Storage.transaction} the transaction. */
function storageOn(ctx: SqlContext): Storage {
  return {
    serverKeys: createServerKeyRepository(ctx),
    streams: createStreamPositions(ctx),
    rooms: createRoomRepository(ctx),
    events: createEventRepository(ctx),
    accounts: createAccountStore(ctx),
    roomState: createRoomStateStore(ctx),
    ephemeral: createEphemeralStore(ctx),
    push: createPushStore(ctx),
    search: createSearchStore(ctx),
    sync: createSyncStore(ctx),
    userData: createUserDataStore(ctx),
    keyBackup: createKeyBackupStore(ctx),
    toDevice: createToDeviceStore(ctx),
    e2ee: createE2eeStore(ctx),
    streamReaders: createStreamReaderStore(ctx),
    leases: createJobLeaseStore(ctx),
    openIdTokens: createOpenIdTokenStore(ctx),
    transaction: (fn) => transaction(ctx.db, (trx) => fn(storageOn({ ...ctx, db: trx }))),
  };
}
