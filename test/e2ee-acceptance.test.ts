/**
 * Issue 4 acceptance: end-to-end encryption with real matrix-js-sdk 37.5.0 clients using Rust crypto, unmodified.
 * One scenario, step by step (each step is a test so a report says which step broke; later steps need earlier ones):
 *   1. Alice and Bob share an encrypted DM and, with Carol, an encrypted group; everyone decrypts every message.
 *   2. Bob logs in a second device; it decrypts messages sent after it appeared.
 *   3. Bob deletes that device (password UIA); it is gone from the others' device lists, its token is dead, and the
 *      Megolm sessions used afterwards are new ones that were never sent to it.
 *   4. Alice and Bob bootstrap cross-signing (password UIA), Alice verifies Bob by SAS over to-device messages, and
 *      then sees Bob as cross-signing verified.
 *   5. Alice creates a server-side key backup, her keys reach it, and a new device of hers restores them and
 *      decrypts the history sent before it existed.
 *   6. Every row of every table of the server's database is free of the plaintexts; the ciphertext events are there.
 * https://spec.matrix.org/v1.19/client-server-api/#end-to-end-encryption
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { EventType, MatrixEventEvent, MsgType, Preset, type AuthDict, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import {
  CrossSigningKey,
  CryptoEvent,
  VerificationPhase,
  VerifierEvent,
  type CryptoApi,
  type VerificationRequest,
  type ShowSasCallbacks,
} from 'matrix-js-sdk/lib/crypto-api/index.js';
import { afterAll, expect, it } from 'vitest';
import { createSdkClient, initRustCryptoQuietly, stopClient, waitForSync } from './support/clients.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';
import { api, ok } from './sync-helpers.js';

const WAIT_MS = 20_000;
const STEP_MS = 90_000;

forEachDialect('e2ee acceptance with matrix-js-sdk rust crypto', (server) => {
  const started: MatrixClient[] = [];
  afterAll(() => {
    for (const client of started.splice(0)) stopClient(client);
  });

  /** A started, synced client with Rust crypto for `user`'s device. */
  async function cryptoClient(user: TestUser): Promise<MatrixClient> {
    const client = createSdkClient(server(), user);
    started.push(client);
    await initRustCryptoQuietly(client);
    await client.startClient({ initialSyncLimit: 50 });
    await waitForSync(client);
    return client;
  }

  // The scenario's state, filled in step by step.
  let alice: TestUser, bob: TestUser, carol: TestUser, bob2: TestUser;
  let a: MatrixClient, b: MatrixClient, c: MatrixClient, b2: MatrixClient;
  let dm = '';
  let group = '';
  /** Every message sent, in order: the plaintext and where it went. */
  const sent: { roomId: string; eventId: string; body: string }[] = [];
  const nonce = uniqueLocalpart('n');

  /** Sends an encrypted text message (refusing to send if the sender's client does not see the room as encrypted). */
  async function send(from: MatrixClient, roomId: string, label: string): Promise<{ eventId: string; body: string }> {
    expect(await crypto(from).isEncryptionEnabledInRoom(roomId)).toBe(true);
    const body = `${label} secret ${nonce}`;
    const { event_id: eventId } = await from.sendMessage(roomId, { msgtype: MsgType.Text, body });
    sent.push({ roomId, eventId, body });
    return { eventId, body };
  }

  it('1. encrypted DM and encrypted group: everyone decrypts every message', async () => {
    [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => registerUser(server(), uniqueLocalpart(name))));
    [a, b, c] = await Promise.all([alice, bob, carol].map(cryptoClient));

    const encryption = [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }];
    ({ room_id: dm } = await a.createRoom({ invite: [bob.userId], is_direct: true, preset: Preset.TrustedPrivateChat, initial_state: encryption }));
    ({ room_id: group } = await a.createRoom({ invite: [bob.userId, carol.userId], name: 'encrypted group', initial_state: encryption }));
    for (const [client, rooms] of [[b, [dm, group]], [c, [group]]] as const) {
      for (const roomId of rooms) {
        await eventually(() => client.getRoom(roomId)?.getMyMembership() === 'invite', `invite to ${roomId}`);
        await client.joinRoom(roomId);
      }
    }
    await everyoneJoined([a, b], dm, [alice, bob]);
    await everyoneJoined([a, b, c], group, [alice, bob, carol]);

    const dmMessages = [await send(a, dm, 'dm alice-1'), await send(b, dm, 'dm bob-1'), await send(a, dm, 'dm alice-2 😀')];
    const groupMessages = [await send(a, group, 'group alice-1'), await send(b, group, 'group bob-1'), await send(c, group, 'group carol-1')];

    for (const client of [a, b]) for (const message of dmMessages) await expectDecrypted(client, dm, message);
    for (const client of [a, b, c]) for (const message of groupMessages) await expectDecrypted(client, group, message);
  }, STEP_MS);

  it('2. a second device of Bob decrypts messages sent after it appeared', async () => {
    bob2 = await login(server(), bob);
    expect(bob2.deviceId).not.toBe(bob.deviceId);
    b2 = await cryptoClient(bob2);
    // Alice and Carol learn about the new device through device_lists.changed in /sync, then /keys/query.
    for (const client of [a, c]) await eventually(async () => (await deviceIds(client, bob.userId)).includes(bob2.deviceId), 'the new device of bob');
    await eventually(() => b2.getRoom(dm)?.getMyMembership() === 'join' && b2.getRoom(group)?.getMyMembership() === 'join', 'bob2 sees the rooms');

    const messages = [
      [dm, await send(a, dm, 'dm alice-3 after bob2')],
      [group, await send(a, group, 'group alice-2 after bob2')],
      [group, await send(c, group, 'group carol-2 after bob2')],
      [dm, await send(b, dm, 'dm bob-2 from bob1 after bob2')],
    ] as const;
    for (const [roomId, message] of messages) {
      await expectDecrypted(b2, roomId, message);
      await expectDecrypted(b, roomId, message);
    }
  }, STEP_MS);

  it('3. a deleted device is dropped from device lists and excluded from new sessions', async () => {
    const before = await Promise.all([lastWireSession(a, dm), lastWireSession(a, group), lastWireSession(c, group)]);
    stopClient(b2);

    // DELETE needs UIA: the first attempt returns the flows and a session, the second one carries the password.
    const session = await uiaSession(() => b.deleteMultipleDevices([bob2.deviceId]));
    expect(session).toBeTypeOf('string');
    await b.deleteMultipleDevices([bob2.deviceId], passwordAuth(bob, session as string));
    const whoami = await api(server(), 'GET', '/account/whoami', bob2);
    expect(whoami).toMatchObject({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } });

    for (const client of [a, c]) await eventually(async () => !(await deviceIds(client, bob.userId)).includes(bob2.deviceId), 'the device removal');
    expect(await deviceIds(a, bob.userId)).toContain(bob.deviceId);

    const messages = [
      [dm, await send(a, dm, 'dm alice-4 after removal')],
      [group, await send(a, group, 'group alice-3 after removal')],
      [group, await send(c, group, 'group carol-3 after removal')],
    ] as const;
    for (const [roomId, message] of messages) await expectDecrypted(b, roomId, message);
    // Each sender rotated its Megolm session: the sessions now in use were created after bob2 was gone.
    const after = await Promise.all([lastWireSession(a, dm), lastWireSession(a, group), lastWireSession(c, group)]);
    for (const [index, sessionId] of after.entries()) expect(sessionId).not.toBe(before[index]);
    // Nothing is queued for the deleted device (its queue went with it; no new keys were sent to it).
    const rows = await readDatabase(server());
    const forDeleted = (rows.get('to_device_messages') ?? []).filter((row) => row.includes(`"${bob2.deviceId}"`) && row.includes(bob.userId));
    expect(forDeleted).toEqual([]);
  }, STEP_MS);

  it('4. cross-signing is bootstrapped and Alice verifies Bob (SAS over to-device)', async () => {
    /** Bootstraps new cross-signing keys; says whether the server asked for UIA (answered with the password). */
    const bootstrap = async (client: MatrixClient, user: TestUser): Promise<boolean> => {
      let challenged = false;
      await crypto(client).bootstrapCrossSigning({
        setupNewCrossSigning: true,
        authUploadDeviceSigningKeys: async (makeRequest) => {
          // Answer a 401 challenge with the password.
          const session = await uiaSession(() => makeRequest(null));
          if (session === undefined) return;
          challenged = true;
          await makeRequest(passwordAuth(user, session));
        },
      });
      // Ready once the client's own public identity (re-read with /keys/query) is the one it just created.
      await eventually(async () => (await crypto(client).isCrossSigningReady()) || undefined, `${user.userId} cross-signing ready`);
      return challenged;
    };
    // The spec lets a first master key through without UIA (the SDK's callback then sees no challenge) and requires
    // UIA to replace one. (Replacing Alice's keys through the SDK right after the first bootstrap is not used here:
    // a /keys/query the first upload triggered can land after the reset and make the Rust SDK drop its new private
    // keys, a client-side race seen about once in ten runs.)
    expect(await bootstrap(a, alice)).toBe(false);
    expect(await bootstrap(b, bob)).toBe(false);
    const master = await crypto(a).getCrossSigningKeyId();
    const replacement = randomBytes(32).toString('base64').replace(/=+$/, '');
    const replace = await api(server(), 'POST', '/keys/device_signing/upload', alice, {
      master_key: { user_id: alice.userId, usage: ['master'], keys: { [`ed25519:${replacement}`]: replacement } },
    });
    expect(replace.status).toBe(401);
    expect((replace.body.flows as { stages: string[] }[]).some((flow) => flow.stages.includes('m.login.password'))).toBe(true);
    const own = await ok(api(server(), 'POST', '/keys/query', alice, { device_keys: { [alice.userId]: [] } }), 'keys/query');
    expect((own.master_keys as Record<string, { keys: Record<string, string> }>)[alice.userId]?.keys).toEqual({ [`ed25519:${master}`]: master });

    await eventually(async () => (await crypto(a).userHasCrossSigningKeys(bob.userId, true)) || undefined, 'bob’s cross-signing keys at alice');
    expect((await crypto(a).getUserVerificationStatus(bob.userId)).isCrossSigningVerified()).toBe(false);

    const bobSide = new Promise<VerificationRequest>((resolve) => b.once(CryptoEvent.VerificationRequestReceived, resolve));
    const request = await crypto(a).requestDeviceVerification(bob.userId, bob.deviceId);
    const incoming = await withTimeout(bobSide, 'the verification request at bob');
    await incoming.accept();
    await eventually(() => request.phase === VerificationPhase.Ready, 'the request to become ready');
    const aliceVerifier = await request.startVerification('m.sas.v1');
    const bobVerifier = await eventually(() => incoming.verifier, 'bob’s verifier');
    // verify() drives the exchange (start, accept, key); each side then shows its SAS. Both must show the same
    // emoji, which proves their keys and the to-device path agree, before either confirms.
    const shown = [aliceVerifier, bobVerifier].map((verifier) => new Promise<ShowSasCallbacks>((resolve) => verifier.once(VerifierEvent.ShowSas, resolve)));
    const done = Promise.all([aliceVerifier.verify(), bobVerifier.verify()]);
    const sas = await withTimeout(Promise.all(shown), 'both sides to show the SAS');
    const emojis = sas.map((side) => side.sas.emoji?.map(([, name]) => name).join(' '));
    expect(emojis[0]).toMatch(/\w/);
    expect(emojis[0]).toBe(emojis[1]);
    await Promise.all(sas.map((side) => side.confirm()));
    await withTimeout(done, 'the SAS to complete');
    expect(request.phase).toBe(VerificationPhase.Done);

    await eventually(async () => (await crypto(a).getUserVerificationStatus(bob.userId)).isCrossSigningVerified() || undefined, 'bob cross-signing verified');
    // Alice's signature of Bob's master key is on the server, visible to Alice.
    const query = await ok(api(server(), 'POST', '/keys/query', alice, { device_keys: { [bob.userId]: [] } }), 'keys/query');
    const bobMaster = (query.master_keys as Record<string, { signatures?: Record<string, Record<string, string>> }>)[bob.userId];
    const aliceUsk = await crypto(a).getCrossSigningKeyId(CrossSigningKey.UserSigning);
    expect(bobMaster?.signatures?.[alice.userId]).toHaveProperty([`ed25519:${aliceUsk}`]);
  }, STEP_MS);

  it('5. a new device of Alice restores keys from server-side backup and decrypts history', async () => {
    await crypto(a).resetKeyBackup();
    // resetKeyBackup enables the new backup in the background; wait for it here.
    const check = await crypto(a).checkKeyBackupAndEnable();
    expect(check?.trustInfo).toMatchObject({ trusted: true, matchesDecryptionKey: true });
    const version = await crypto(a).getActiveSessionBackupVersion();
    expect(version).toBe(check?.backupInfo.version);
    expect(version).not.toBeNull();
    const backupKey = await crypto(a).getSessionBackupPrivateKey();
    expect(backupKey).not.toBeNull();

    // Every session of the scenario (Alice's own and those Bob and Carol shared with her) reaches the backup: the
    // SDK uploads them in the background.
    const sessions = new Map<string, Set<string>>();
    for (const message of sent) {
      const sessionId = a.getRoom(message.roomId)?.findEventById(message.eventId)?.getWireContent().session_id as string;
      sessions.set(message.roomId, (sessions.get(message.roomId) ?? new Set<string>()).add(sessionId));
    }
    await eventually(async () => {
      const backup = await ok(api(server(), 'GET', `/room_keys/keys?version=${version}`, alice), 'room_keys');
      const rooms = backup.rooms as Record<string, { sessions: Record<string, unknown> }>;
      return [...sessions].every(([roomId, ids]) => [...ids].every((id) => rooms[roomId]?.sessions[id] !== undefined)) || undefined;
    }, 'every session in the backup');

    const alice2 = await login(server(), alice);
    const a2 = createSdkClient(server(), alice2);
    started.push(a2);
    await initRustCryptoQuietly(a2);
    await crypto(a2).storeSessionBackupPrivateKey(backupKey as Uint8Array, version as string);
    const restored = await crypto(a2).restoreKeyBackup();
    expect(restored.imported).toBeGreaterThanOrEqual([...sessions.values()].reduce((n, ids) => n + ids.size, 0));
    await a2.startClient({ initialSyncLimit: 50 });
    await waitForSync(a2);

    // History sent before alice2 existed, by Alice and by others (their sessions were shared with alice1 and
    // backed up by it), decrypts on the new device. alice2 is not cross-signed, so alice1 forwards it no keys:
    // the backup is the only way in.
    for (const message of sent) await expectDecrypted(a2, message.roomId, message);
  }, STEP_MS);

  it('6. the database holds no plaintext of the messages, and holds their ciphertext events', async () => {
    const rows = await readDatabase(server());
    const everything = [...rows.values()].flat().join('\n');
    expect(sent.length).toBeGreaterThan(10);
    for (const { body, eventId } of sent) {
      expect(everything.includes(body), `plaintext "${body}" stored`).toBe(false);
      expect(everything.includes(eventId), `event ${eventId} stored`).toBe(true);
    }
    // The nonce is in every plaintext and nowhere else.
    expect(everything.includes(nonce)).toBe(false);
    // The ciphertexts clients saw are stored.
    const ciphertexts = sent.map(({ roomId, eventId }) => a.getRoom(roomId)?.findEventById(eventId)?.getWireContent().ciphertext as string | undefined);
    for (const ciphertext of ciphertexts) {
      expect(typeof ciphertext).toBe('string');
      expect(everything.includes(ciphertext as string)).toBe(true);
    }
    if (server().dialect === 'sqlite') {
      // Also the raw bytes of the database file and its write-ahead log, free pages included.
      const { readFileSync, existsSync } = await import('node:fs');
      const path = server().server.config.database.sqlite_path;
      for (const file of [path, `${path}-wal`].filter((f) => existsSync(f))) expect(readFileSync(file).includes(nonce), file).toBe(false);
    }
  }, STEP_MS);
});

/** The crypto API of a client that initialised Rust crypto. */
function crypto(client: MatrixClient): CryptoApi {
  const api = client.getCrypto();
  if (!api) throw new Error('crypto not initialised');
  return api;
}

/** Waits until every client sees every user joined to `roomId` and the room as encrypted. */
async function everyoneJoined(clients: MatrixClient[], roomId: string, users: TestUser[]): Promise<void> {
  for (const client of clients) {
    await eventually(
      async () =>
        (users.every((user) => client.getRoom(roomId)?.getMember(user.userId)?.membership === 'join') &&
          (await crypto(client).isEncryptionEnabledInRoom(roomId))) ||
        undefined,
      `${client.getUserId()} sees everyone joined to ${roomId}`,
    );
  }
}

/** Asserts `client` received the event as m.room.encrypted and decrypted it to exactly the sent body. */
async function expectDecrypted(client: MatrixClient, roomId: string, message: { eventId: string; body: string }): Promise<void> {
  const who = `${client.getUserId()}/${client.getDeviceId()}`;
  const event = await eventually(() => client.getRoom(roomId)?.findEventById(message.eventId), `${message.eventId} at ${who}`);
  await settled(event);
  expect(event.getWireType(), `${message.body} at ${who}`).toBe('m.room.encrypted');
  expect(event.isDecryptionFailure(), `${message.body} at ${who}: ${event.decryptionFailureReason ?? ''}`).toBe(false);
  expect(event.getType()).toBe(EventType.RoomMessage);
  expect(event.getClearContent()?.body, `${message.body} at ${who}`).toBe(message.body);
}

/** Waits for the event's decryption to succeed, or for `WAIT_MS` (the caller then sees the failure). */
async function settled(event: MatrixEvent): Promise<void> {
  const done = (): boolean => !event.isBeingDecrypted() && !event.isDecryptionFailure() && event.getClearContent() !== null;
  if (done()) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(finish, WAIT_MS);
    function finish(): void {
      clearTimeout(timer);
      event.off(MatrixEventEvent.Decrypted, onDecrypted);
      resolve();
    }
    function onDecrypted(): void {
      if (done()) finish();
    }
    event.on(MatrixEventEvent.Decrypted, onDecrypted);
  });
}

/** The Megolm session ID of the last encrypted event `client` sent in `roomId`. */
async function lastWireSession(client: MatrixClient, roomId: string): Promise<string> {
  const events = client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [];
  const mine = events.filter((event) => event.getSender() === client.getUserId() && event.getWireType() === 'm.room.encrypted');
  const last = mine.at(-1);
  if (!last) throw new Error(`no encrypted event of ${client.getUserId()} in ${roomId}`);
  return last.getWireContent().session_id as string;
}

/** Device IDs `client` knows for `userId` (downloading them if not yet tracked). */
async function deviceIds(client: MatrixClient, userId: string): Promise<string[]> {
  const map = await crypto(client).getUserDeviceInfo([userId], true);
  return [...(map.get(userId)?.keys() ?? [])];
}

/** Logs in a new device of `user` with its password (POST /login, m.login.password). */
async function login(server: TestHomeserver, user: TestUser): Promise<TestUser> {
  const body = await ok(
    api(server, 'POST', '/login', undefined, { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password }),
    'login',
  );
  return { userId: body.user_id as string, accessToken: body.access_token as string, deviceId: body.device_id as string, password: user.password };
}

function passwordAuth(user: TestUser, session: string): AuthDict {
  return { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password, session };
}

/**
 * Runs a UIA-protected request without auth: resolves undefined when it succeeds at once, or with the UIA session
 * of the 401 challenge (which must offer m.login.password).
 */
async function uiaSession(request: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await request();
    return undefined;
  } catch (error) {
    const data = (error as { httpStatus?: number; data?: { session?: string; flows?: { stages: string[] }[] } }).data;
    if ((error as { httpStatus?: number }).httpStatus !== 401 || typeof data?.session !== 'string') throw error;
    expect(data.flows?.some((flow) => flow.stages.includes('m.login.password'))).toBe(true);
    return data.session;
  }
}

/** Every row of every table of the server's database, each as text (JSON with binary columns as UTF-8), by table. */
async function readDatabase(server: TestHomeserver): Promise<Map<string, string[]>> {
  const byTable = new Map<string, string[]>();
  const text = (row: Record<string, unknown>): string =>
    JSON.stringify(row, (_key, value: unknown) => (Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'bigint' ? String(value) : value));
  const config = server.server.config.database;
  if (server.dialect === 'sqlite') {
    const db = new Database(config.sqlite_path, { readonly: true, fileMustExist: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
      expect(tables.length).toBeGreaterThan(10);
      for (const { name } of tables) {
        byTable.set(name, (db.prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`).all() as Record<string, unknown>[]).map(text));
      }
    } finally {
      db.close();
    }
    return byTable;
  }
  const client = new pg.Client({ connectionString: config.url });
  await client.connect();
  try {
    const tables = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    expect(tables.rows.length).toBeGreaterThan(10);
    for (const { tablename } of tables.rows) {
      const result = await client.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${tablename.replaceAll('"', '""')}" t`);
      byTable.set(tablename, result.rows.map((r) => r.row));
    }
  } finally {
    await client.end();
  }
  return byTable;
}

/**
 * Resolves with the first value `probe` gives that is neither undefined nor false, polling every 50 ms for up to
 * `WAIT_MS`.
 */
async function eventually<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`)), WAIT_MS);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error as Error);
      },
    );
  });
}
