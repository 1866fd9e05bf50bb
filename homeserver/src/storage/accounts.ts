/**
 * Repository interface: users, password hashes, devices, access and refresh tokens (stored hashed),
 * user-interactive auth sessions and registration tokens.
 * Re-exported by storage/index.ts; implemented by knex/accounts.repo.ts for both dialects.
 */

/** A local account. */
export interface UserRecord {
  userId: string;
  /** The slow hash of the password (with its parameters), or null for accounts without one. */
  passwordHash: string | null;
  createdTs: number;
  isGuest: boolean;
  isAdmin: boolean;
  /** When the account was deactivated, or null while active. */
  deactivatedTs: number | null;
  /** When a server admin suspended the account, or null while it is not suspended. */
  suspendedTs: number | null;
  /** When a server admin locked the account, or null while it is not locked. */
  lockedTs: number | null;
}

/** A change of a user's moderation flags; absent fields stay as they are. */
export interface UserFlagsChange {
  isAdmin?: boolean;
  /** A timestamp suspends, null lifts the suspension. */
  suspendedTs?: number | null;
  /** A timestamp locks, null unlocks. */
  lockedTs?: number | null;
}

/** A device (a login session) of a user. */
export interface DeviceRecord {
  userId: string;
  deviceId: string;
  displayName: string | null;
  createdTs: number;
  lastSeenTs: number | null;
  lastSeenIp: string | null;
  lastSeenUserAgent: string | null;
}

/** An access token as stored: only its SHA-256. */
export interface AccessTokenRecord {
  id: number;
  tokenHash: string;
  userId: string;
  deviceId: string | null;
  createdTs: number;
  /** When it stops working (tokens issued with a refresh token), or null for never. */
  expiresTs: number | null;
  /** The refresh token issued alongside, if any. */
  refreshTokenId: number | null;
  /** Whether it has been used since it was issued. */
  used: boolean;
}

/** An access token together with the account it belongs to: what authenticating a request needs. */
export interface AccessTokenOwner extends AccessTokenRecord {
  isGuest: boolean;
  deactivated: boolean;
  /** The account is locked: every request but logout is refused. */
  locked: boolean;
}

export interface RefreshTokenRecord {
  id: number;
  tokenHash: string;
  userId: string;
  deviceId: string;
  createdTs: number;
  /** The token this one was exchanged for, once it has been. */
  nextTokenId: number | null;
  /** True once it may never be used again (its successor was used, or a retry replaced it). */
  revoked: boolean;
}

/** A user-interactive auth session. https://spec.matrix.org/v1.19/client-server-api/#user-interactive-authentication-api */
export interface UiaSessionRecord {
  sessionId: string;
  /** The operation it authorises, e.g. `POST /register`. */
  operation: string;
  /** The user the session authenticates for (null for registration). */
  userId: string | null;
  /** Stage types completed so far, in order. */
  completed: string[];
  /** Results of stages the operation needs afterwards (e.g. which registration token was used). */
  data: Record<string, string>;
  createdTs: number;
  /**
   * Set once one request claimed the completed session for its operation ({@link AccountStore.claimUiaSession});
   * `result` is the operation's result (JSON) once it finished, replayed to retries of the session.
   */
  claim?: { result: string | null };
}

/** A token that allows registering when registration requires one. */
export interface RegistrationTokenRecord {
  /** The SHA-256 (hex) of the token: tokens are never stored in plaintext. */
  tokenHash: string;
  /** How many registrations it allows, or null for unlimited. */
  usesAllowed: number | null;
  /** Registrations in progress that passed the token stage but have not finished. */
  pending: number;
  /** Registrations completed with it. */
  completed: number;
  /** When it stops being valid, or null for never. */
  expiryTs: number | null;
  createdTs: number;
}

export interface NewAccessToken {
  tokenHash: string;
  userId: string;
  deviceId: string | null;
  createdTs: number;
  expiresTs: number | null;
  refreshTokenId: number | null;
}

export interface NewRefreshToken {
  tokenHash: string;
  userId: string;
  deviceId: string;
  createdTs: number;
}

/** Where and when a device was last seen. */
export interface DeviceSighting {
  ts: number;
  ip: string | null;
  userAgent: string | null;
}

export interface AccountStore {
  // Users
  /** Creates a user; false (and nothing written) when the ID is taken. */
  createUser(user: Omit<UserRecord, 'deactivatedTs' | 'isAdmin' | 'suspendedTs' | 'lockedTs'> & { isAdmin?: boolean }): Promise<boolean>;
  getUser(userId: string): Promise<UserRecord | null>;
  setPasswordHash(userId: string, passwordHash: string | null): Promise<void>;
  /** Marks the account deactivated at `ts` and forgets its password. */
  markDeactivated(userId: string, ts: number): Promise<void>;
  /** Sets the admin, suspended and locked flags given; false when the user does not exist. */
  setUserFlags(userId: string, change: UserFlagsChange): Promise<boolean>;

  // Guests (https://spec.matrix.org/v1.19/client-server-api/#guest-access)
  /** The next number of the guest localpart counter (1, 2, …; distinct across processes). */
  nextGuestNumber(): Promise<number>;
  /**
   * Turns an active guest account into a full one with this password hash; false (nothing written) when the user is
   * not a guest any more (a concurrent upgrade won) or is deactivated.
   */
  upgradeGuest(userId: string, passwordHash: string | null): Promise<boolean>;
  /** Which of `userIds` are guest accounts (any number: the store batches). */
  guestsAmong(userIds: readonly string[]): Promise<string[]>;

  // Devices
  /** Creates the device unless it exists; true when created. An existing device keeps its display name. */
  ensureDevice(device: { userId: string; deviceId: string; displayName: string | null; createdTs: number }): Promise<boolean>;
  getDevice(userId: string, deviceId: string): Promise<DeviceRecord | null>;
  /** The user's devices ordered by device ID. */
  listDevices(userId: string): Promise<DeviceRecord[]>;
  /** The devices of every user in `userIds` (any number: the store batches), ordered by user and device ID. */
  listDevicesOfUsers(userIds: readonly string[]): Promise<DeviceRecord[]>;
  /** Sets the display name; false when the device does not exist. */
  setDeviceDisplayName(userId: string, deviceId: string, displayName: string | null): Promise<boolean>;
  recordDeviceSighting(userId: string, deviceId: string, sighting: DeviceSighting): Promise<void>;
  /** Deletes the devices and every access and refresh token of them; returns the IDs that existed. */
  deleteDevices(userId: string, deviceIds: readonly string[]): Promise<string[]>;

  // Access tokens
  addAccessToken(token: NewAccessToken): Promise<number>;
  /** The token with this hash and its owner's account flags, or null. */
  findAccessToken(tokenHash: string): Promise<AccessTokenOwner | null>;
  markAccessTokenUsed(id: number): Promise<void>;
  /** Deletes every access and refresh token of one device. */
  deleteDeviceTokens(userId: string, deviceId: string | null): Promise<void>;
  /** Deletes every access and refresh token of the user. */
  deleteUserTokens(userId: string): Promise<void>;

  // Refresh tokens
  addRefreshToken(token: NewRefreshToken): Promise<number>;
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null>;
  /**
   * Records that token `id` was exchanged for `nextTokenId`, only if it is not revoked and its successor is still
   * `expectedNextTokenId` (a conditional update: of two concurrent exchanges only one wins). False when it lost.
   */
  claimRefreshToken(id: number, exchange: { expectedNextTokenId: number | null; nextTokenId: number }): Promise<boolean>;
  /** Marks refresh tokens revoked at `ts` and deletes the access tokens issued with them. */
  revokeRefreshTokens(ids: readonly number[], ts: number): Promise<void>;
  /**
   * Revokes the refresh tokens that were exchanged for `nextTokenId` and deletes the access tokens issued with them
   * (once the successor is used, the predecessors must stop working). Revoked tokens of the same device older than
   * `forgetRevokedBefore` are deleted. Returns the IDs revoked now.
   */
  retirePredecessors(nextTokenId: number, options: { ts: number; forgetRevokedBefore: number }): Promise<number[]>;

  // User-interactive auth sessions
  createUiaSession(session: UiaSessionRecord): Promise<void>;
  getUiaSession(sessionId: string): Promise<UiaSessionRecord | null>;
  updateUiaSession(sessionId: string, update: { completed: string[]; data: Record<string, string> }): Promise<void>;
  /** Deletes a session; false when it did not exist (e.g. a concurrent request finished it first). */
  deleteUiaSession(sessionId: string): Promise<boolean>;
  /** Claims a session for the operation it authorises; false when another request claimed it first (or it is gone). */
  claimUiaSession(sessionId: string): Promise<boolean>;
  /** Records the result of a claimed session's operation and drops the session's stage data. */
  completeUiaSession(sessionId: string, result: string): Promise<void>;
  /** Deletes sessions created before `ts` and returns them. */
  deleteUiaSessionsBefore(ts: number): Promise<UiaSessionRecord[]>;

  // Registration tokens
  /** Creates a token; false when it already exists. */
  createRegistrationToken(token: Omit<RegistrationTokenRecord, 'pending' | 'completed'>): Promise<boolean>;
  getRegistrationToken(tokenHash: string): Promise<RegistrationTokenRecord | null>;
  /**
   * Takes one pending use of the token if it is unexpired at `now` and has a use left (one conditional update, so
   * concurrent registrations cannot both take the last use). False when it could not.
   */
  reserveRegistrationToken(tokenHash: string, now: number): Promise<boolean>;
  /** Adds to the token's counters (negative to release a pending use). */
  adjustRegistrationToken(tokenHash: string, change: { pending?: number; completed?: number }): Promise<void>;
}
