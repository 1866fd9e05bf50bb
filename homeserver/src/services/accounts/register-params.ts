/**
 * The parameters of a registration, remembered in its UIA session: a client may send them only on the first
 * request and then just the `auth` dictionary (sytest "registration remembers parameters"), and a `device_id` or
 * `inhibit_login` of the first request must still count. The password is kept only as its slow hash.
 * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3register
 */
import type { JsonObject } from '@parley/federation';
import type { AccountsContext } from './context.js';
import type { RegisterRequest } from './types.js';

/** Session data keys (the session's data is strings only). */
const PARAMS_KEY = 'register.params';
const PASSWORD_HASH_KEY = 'register.password_hash';

/** What a registration does once its UIA is complete. */
export interface RegisterParams {
  username?: string;
  passwordHash: string | null;
  deviceId?: string;
  initialDeviceDisplayName?: string;
  inhibitLogin: boolean;
  refreshToken: boolean;
  /** The guest account this registration upgrades (checked against `guest_access_token` when remembered). */
  upgradesGuest?: string;
}

type StoredParams = Omit<RegisterParams, 'passwordHash'>;

/** Whether the request carries registration parameters (then they replace the remembered ones). */
function carriesParams(request: RegisterRequest): boolean {
  return (
    request.username !== undefined ||
    request.password !== undefined ||
    request.deviceId !== undefined ||
    request.initialDeviceDisplayName !== undefined ||
    request.inhibitLogin ||
    request.refreshToken ||
    request.guestAccessToken !== undefined
  );
}

/**
 * The session data that remembers this request's parameters, or nothing when it has none (the remembered ones
 * stand). NOTSPEC: the spec asks clients to send the same body on every request; like Synapse we accept a later
 * request that carries only `auth`.
 */
export async function rememberParams(
  context: AccountsContext,
  request: RegisterRequest,
  upgradesGuest?: string,
): Promise<Record<string, string> | void> {
  if (!carriesParams(request)) return;
  const stored: StoredParams = {
    ...(request.username !== undefined ? { username: request.username } : {}),
    ...(upgradesGuest !== undefined ? { upgradesGuest } : {}),
    ...(request.deviceId !== undefined ? { deviceId: request.deviceId } : {}),
    ...(request.initialDeviceDisplayName !== undefined ? { initialDeviceDisplayName: request.initialDeviceDisplayName } : {}),
    inhibitLogin: request.inhibitLogin,
    refreshToken: request.refreshToken,
  };
  const data: Record<string, string> = { [PARAMS_KEY]: JSON.stringify(stored) };
  if (request.password !== undefined) data[PASSWORD_HASH_KEY] = await context.passwords.hash(request.password);
  return data;
}

/** The remembered parameters of a session (none remembered: a generated user ID without password). */
export function recallParams(data: Readonly<Record<string, string>>): RegisterParams {
  const raw = data[PARAMS_KEY];
  const stored = raw === undefined ? { inhibitLogin: false, refreshToken: false } : (JSON.parse(raw) as StoredParams);
  return { ...stored, passwordHash: data[PASSWORD_HASH_KEY] ?? null };
}

/** What a finished registration's session keeps, to answer a retry: the user and the device it logged in. */
export interface RegistrationOutcome {
  userId: string;
  deviceId: string | null;
  refreshToken: boolean;
}

export function outcomeJson(outcome: RegistrationOutcome): JsonObject {
  return { user_id: outcome.userId, device_id: outcome.deviceId, refresh_token: outcome.refreshToken };
}

export function outcomeFromJson(json: JsonObject): RegistrationOutcome {
  return {
    userId: String(json.user_id),
    deviceId: typeof json.device_id === 'string' ? json.device_id : null,
    refreshToken: json.refresh_token === true,
  };
}
