/**
 * The public types of the accounts domain, re-exported by index.ts (kept apart so the domain's inner files can use
 * them without importing index.ts, which would be a cycle).
 */
import type { JsonObject } from '@parley/federation';

/**
 * Who is making an authenticated client request.
 * https://spec.matrix.org/v1.19/client-server-api/#client-authentication
 */
export interface Requester {
  userId: string;
  /** Null only for tokens not bound to a device (e.g. application services later). */
  deviceId: string | null;
  /** The stored ID of the access token used (not the token itself). */
  accessTokenId: number | string;
  isGuest: boolean;
  /** The client's address, set by `authenticate`: password checks in UIA are rate limited per address too. */
  ip?: string | null;
}

/**
 * The accounts domain's view of the rate limiter, for password checks (built in main.ts from the `login` limit).
 * https://spec.matrix.org/v1.19/client-server-api/#rate-limiting
 */
export interface AttemptLimiter {
  /** Counts one attempt for `key`; throws 429 `M_LIMIT_EXCEEDED` with `retry_after_ms` when over the limit. */
  take(key: string): Promise<void>;
  /** Gives back an attempt taken for `key` (the password was right). */
  refund(key: string): Promise<void>;
}

/** What the composition root hands the accounts domain besides the core dependencies. */
export interface AccountsPorts {
  /** Limits password guesses; unlimited when omitted. */
  attemptLimiter?: AttemptLimiter;
  /** Limits accounts created and failed registration stages per address; unlimited when omitted. */
  registrationLimiter?: AttemptLimiter;
}

/** Where a request came from, recorded as a device's "last seen". */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}

/** What /register and /login hand back once a device is logged in. */
export interface LoginSession {
  userId: string;
  accessToken: string;
  deviceId: string;
  /** Set when the client asked for a refresh token. */
  refreshToken?: string;
  expiresInMs?: number;
}

/** The body of POST /register, validated by the route. */
export interface RegisterRequest {
  kind: 'user' | 'guest';
  username?: string;
  password?: string;
  deviceId?: string;
  initialDeviceDisplayName?: string;
  inhibitLogin: boolean;
  refreshToken: boolean;
  /** The UIA `auth` dictionary, if any. */
  auth?: JsonObject;
  /** Upgrades the guest account this access token belongs to (`username` must be its localpart). */
  guestAccessToken?: string;
}

/** POST /register's answer: a session, or only the user ID with `inhibit_login`. */
export type RegisterResult = { userId: string; session: LoginSession | null };

/** The identifier of POST /login. https://spec.matrix.org/v1.19/client-server-api/#identifier-types */
export type LoginIdentifier =
  | { type: 'm.id.user'; user: string }
  | { type: 'm.id.thirdparty'; medium: string; address: string }
  | { type: 'm.id.phone'; country: string; phone: string }
  | { type: string };

export interface LoginRequest {
  type: string;
  /** Undefined when the request named no user (400 `M_MISSING_PARAM` once the type is known). */
  identifier: LoginIdentifier | undefined;
  password?: string;
  deviceId?: string;
  initialDeviceDisplayName?: string;
  refreshToken: boolean;
}

/** A device as GET /devices shows it. */
export interface DeviceInfo {
  userId: string;
  deviceId: string;
  displayName: string | null;
  lastSeenIp: string | null;
  lastSeenTs: number | null;
}

/** A change to a user's device list: what issue 4's device-list stream listens to. */
export interface DeviceChange {
  userId: string;
  deviceId: string;
  kind: 'created' | 'updated' | 'deleted';
}

/** A registration token as the CLI creates and shows it. */
export interface RegistrationTokenInfo {
  token: string;
  usesAllowed: number | null;
  pending: number;
  completed: number;
  expiryTs: number | null;
}

/** POST /user/{userId}/openid/request_token's answer. */
export interface OpenIdToken {
  accessToken: string;
  /** The server the consumer asks `GET /openid/userinfo` (ours). */
  serverName: string;
  expiresInS: number;
}

/** GET /admin/whois: the user's devices, each with where and when it was last seen (null: never). */
export interface WhoisInfo {
  userId: string;
  devices: { deviceId: string; lastSeen: { ts: number; ip: string; userAgent: string } | null }[];
}

/** Options of {@link AccountsService.authenticate}. */
export interface AuthenticateOptions {
  /** Let a locked account through: only `/logout` and `/logout/all` may (the spec's exceptions). */
  allowLocked?: boolean;
}

/** A listener; errors it throws are logged, never passed to the request that triggered it. */
export type Listener<T> = (value: T) => void | Promise<void>;

/**
 * What other domains and http/ may ask of accounts.
 * https://spec.matrix.org/v1.19/client-server-api/#client-authentication
 */
export interface AccountsService {
  /** Resolves an access token to its requester; 401 `M_MISSING_TOKEN`/`M_UNKNOWN_TOKEN` otherwise. */
  /** 401 `M_USER_LOCKED` (`soft_logout: true`) for a locked account unless `options.allowLocked`. */
  authenticate(accessToken: string | undefined, origin: RequestOrigin, options?: AuthenticateOptions): Promise<Requester>;

  register(request: RegisterRequest, origin: RequestOrigin): Promise<RegisterResult>;
  /** Throws `M_INVALID_USERNAME`/`M_USER_IN_USE`/`M_FORBIDDEN` when the localpart cannot be registered. */
  checkUsernameAvailable(username: string): Promise<void>;
  /** Whether a registration token may be used now. Throws 403 when registration is closed. */
  registrationTokenValid(token: string): Promise<boolean>;
  /** Creates a registration token (random when `token` is omitted). */
  createRegistrationToken(options: { token?: string; usesAllowed?: number | null; expiryTs?: number | null }): Promise<RegistrationTokenInfo>;

  /** The login types POST /login accepts. */
  loginFlows(): { type: string }[];
  login(request: LoginRequest, origin: RequestOrigin): Promise<LoginSession>;
  /** Exchanges a refresh token for new tokens. */
  refresh(refreshToken: string): Promise<{ accessToken: string; refreshToken: string; expiresInMs: number }>;
  logout(requester: Requester): Promise<void>;
  logoutAll(requester: Requester): Promise<void>;

  /** POST /account/password, with UIA. */
  changePassword(requester: Requester, options: { newPassword: string; logoutDevices: boolean; auth?: JsonObject }): Promise<void>;
  /** POST /account/deactivate, with UIA. */
  deactivate(requester: Requester, options: { auth?: JsonObject }): Promise<void>;

  listDevices(userId: string): Promise<DeviceInfo[]>;
  /** The devices of many users at once (batched queries), ordered by user and device ID. */
  listDevicesOfUsers(userIds: readonly string[]): Promise<DeviceInfo[]>;
  /** 404 `M_NOT_FOUND` when the user has no such device. */
  getDevice(userId: string, deviceId: string): Promise<DeviceInfo>;
  /** Sets a device's display name (unchanged when undefined); 404 `M_NOT_FOUND` when unknown. */
  updateDevice(userId: string, deviceId: string, displayName: string | undefined): Promise<void>;
  /** Deletes devices after UIA; unknown IDs are ignored. */
  deleteDevices(requester: Requester, deviceIds: readonly string[], auth: JsonObject | undefined, operation: string): Promise<void>;

  /**
   * Runs user-interactive auth for another domain's endpoint (e.g. cross-signing key upload): resolves when the
   * requester proved their password in this session, throws the 401 UIA challenge otherwise.
   * https://spec.matrix.org/v1.19/client-server-api/#user-interactive-authentication-api
   */
  requireUserInteractiveAuth(requester: Requester, auth: JsonObject | undefined, operation: string): Promise<void>;

  /** The server's capabilities for GET /capabilities, as `userId` sees them (admins see `m.account_moderation`). */
  capabilities(userId: string): Promise<JsonObject>;

  /** POST /user/{userId}/openid/request_token: only for oneself (403 otherwise). */
  requestOpenIdToken(requester: Requester, userId: string): Promise<OpenIdToken>;
  /** Federation GET /openid/userinfo: the token's user; 401 `M_UNKNOWN_TOKEN` when unknown or expired. */
  openIdUserInfo(token: string): Promise<{ sub: string }>;

  /** GET /admin/whois/{userId}: for the user themselves or a server admin (403 otherwise). */
  whois(requester: Requester, userId: string): Promise<WhoisInfo>;
  /** GET /admin/suspend|lock/{userId}: admins only, checked before the target is looked up. */
  getModerationFlag(requester: Requester, userId: string, flag: 'suspended' | 'locked'): Promise<boolean>;
  /** PUT /admin/suspend|lock/{userId}: admins only, never oneself or another admin. Returns the new value. */
  setModerationFlag(requester: Requester, userId: string, flag: 'suspended' | 'locked', value: boolean): Promise<boolean>;
  /**
   * Whether a local account is suspended: the domains that write (rooms, profile) refuse what a suspended user may
   * not do with 403 `M_USER_SUSPENDED`. Cached briefly per process; every change reaches all processes at once.
   */
  isSuspended(userId: string): Promise<boolean>;

  /** A local account, or null. */
  getUser(userId: string): Promise<{ userId: string; isGuest: boolean; isAdmin: boolean; deactivated: boolean; createdTs: number } | null>;
  userExists(userId: string): Promise<boolean>;
  /** Which of these users are guest accounts. */
  guestsAmong(userIds: readonly string[]): Promise<string[]>;
  isDeactivated(userId: string): Promise<boolean>;

  /** Called after an account is created (e.g. to set the default display name). */
  onRegistered(listener: Listener<{ userId: string }>): void;
  /** Called after an account is deactivated (e.g. to leave its rooms). */
  onDeactivated(listener: Listener<{ userId: string }>): void;
  /** Called after a device is created, renamed or deleted. */
  onDeviceChanged(listener: Listener<DeviceChange>): void;
}
