/**
 * The endpoints a guest account may call, as the spec lists them; with a guest's token every other authenticated
 * endpoint answers 403 `M_GUEST_ACCESS_FORBIDDEN`. The list is data, matched against the request path, so an
 * endpoint added later is closed to guests until it is listed here.
 * https://spec.matrix.org/v1.19/client-server-api/#guest-access
 */
import { MatrixError } from '../errors.js';

/** One allowed endpoint: its method and its path as the spec writes it (`{name}` stands for one path segment). */
export interface GuestEndpoint {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
}

const V3 = '/_matrix/client/v3';
const V1 = '/_matrix/client/v1';

/** The spec's list, in its order: retrieving events and media, sending events, account maintenance, E2EE. */
export const GUEST_ENDPOINTS: readonly GuestEndpoint[] = [
  { method: 'GET', path: `${V3}/rooms/{roomId}/state` },
  { method: 'GET', path: `${V3}/rooms/{roomId}/context/{eventId}` },
  { method: 'GET', path: `${V3}/rooms/{roomId}/event/{eventId}` },
  { method: 'GET', path: `${V3}/rooms/{roomId}/state/{eventType}/{stateKey}` },
  { method: 'GET', path: `${V3}/rooms/{roomId}/messages` },
  { method: 'GET', path: `${V3}/rooms/{roomId}/members` },
  { method: 'GET', path: `${V3}/rooms/{roomId}/initialSync` },
  { method: 'GET', path: `${V3}/sync` },
  { method: 'GET', path: `${V3}/events` },
  { method: 'GET', path: `${V1}/media/download/{serverName}/{mediaId}` },
  { method: 'GET', path: `${V1}/media/download/{serverName}/{mediaId}/{fileName}` },
  { method: 'GET', path: `${V1}/media/thumbnail/{serverName}/{mediaId}` },

  { method: 'POST', path: `${V3}/rooms/{roomId}/join` },
  // NOTSPEC: not in the spec's list, but the same join by alias or ID (matrix-js-sdk's joinRoom uses it); Synapse
  // allows guests here too. The can_join rule is enforced on the join itself, whichever endpoint asks.
  { method: 'POST', path: `${V3}/join/{roomIdOrAlias}` },
  { method: 'POST', path: `${V3}/rooms/{roomId}/leave` },
  { method: 'PUT', path: `${V3}/rooms/{roomId}/send/{eventType}/{txnId}` },
  { method: 'PUT', path: `${V3}/rooms/{roomId}/state/{eventType}/{stateKey}` },
  { method: 'PUT', path: `${V3}/sendToDevice/{eventType}/{txnId}` },

  // Only the display name: guests may not change other profile fields.
  { method: 'PUT', path: `${V3}/profile/{userId}/displayname` },
  { method: 'DELETE', path: `${V3}/profile/{userId}/displayname` },
  { method: 'GET', path: `${V3}/devices` },
  { method: 'GET', path: `${V3}/devices/{deviceId}` },
  { method: 'PUT', path: `${V3}/devices/{deviceId}` },
  { method: 'GET', path: `${V3}/account/whoami` },

  { method: 'POST', path: `${V3}/keys/upload` },
  { method: 'POST', path: `${V3}/keys/query` },
  { method: 'POST', path: `${V3}/keys/claim` },

  // NOTSPEC: not in the spec's list; what the server supports is no secret, clients (matrix-js-sdk) ask it of every
  // account at start, and Synapse answers guests too.
  { method: 'GET', path: `${V3}/capabilities` },
];

/**
 * A spec path as a regular expression over the request path (still %-encoded, so a segment never holds a `/`).
 * A trailing `/` is optional, and so is the last segment when it is a parameter: `/state/{eventType}/{stateKey}`
 * with an empty state key is also sent as `/state/m.room.name` (the route accepts both).
 */
function pathPattern(path: string): RegExp {
  const escaped = (text: string) => text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  const segments = path.split('/').slice(1);
  const last = segments.at(-1) ?? '';
  const isParam = (segment: string) => /^\{[^}]+\}$/.test(segment);
  const body = segments
    .slice(0, -1)
    .map((segment) => '/' + (isParam(segment) ? '[^/]+' : escaped(segment)))
    .join('');
  const tail = isParam(last) ? '(?:/[^/]*)?' : '/' + escaped(last);
  return new RegExp(`^${body}${tail}/?$`);
}

const PATTERNS: readonly { method: string; pattern: RegExp }[] = GUEST_ENDPOINTS.map((endpoint) => ({
  method: endpoint.method,
  pattern: pathPattern(endpoint.path),
}));

/** Whether a guest may call `method path` (HEAD counts as GET). */
export function guestMayCall(method: string, path: string): boolean {
  const verb = method === 'HEAD' ? 'GET' : method;
  return PATTERNS.some((entry) => entry.method === verb && entry.pattern.test(path));
}

/** Throws 403 `M_GUEST_ACCESS_FORBIDDEN` unless a guest may call the endpoint. */
export function requireGuestAllowed(method: string, path: string): void {
  if (!guestMayCall(method, path)) throw new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'Guest access is not allowed to this endpoint');
}
