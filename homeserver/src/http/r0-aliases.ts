/**
 * The r0 aliases: every endpoint of Client-Server API r0.6.1 is also served under `/_matrix/client/r0/...` (and the
 * content repository under `/_matrix/media/r0/...`) by the v3 route of the same path, as Synapse does. `/versions`
 * lists r0.0.1 to r0.6.1, and clients still on r0 (matrix-nio 0.20, bots, bridges) use these paths.
 * Endpoints that are new in v1.x (refresh, `/v1/` ones, key backup...) are not aliased: under r0 they are unknown.
 * https://spec.matrix.org/v1.19/client-server-api/#api-standards (r0.6.1: https://matrix.org/docs/spec/client_server/r0.6.1)
 */
import type { RequestHandler } from 'express';

/** One r0.6.1 endpoint: its path below the API prefix, `{name}` for a path parameter. */
export interface R0Endpoint {
  api: 'client' | 'media';
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
}

function client(method: R0Endpoint['method'], path: string): R0Endpoint {
  return { api: 'client', method, path };
}

function media(method: R0Endpoint['method'], path: string): R0Endpoint {
  return { api: 'media', method, path };
}

/** Every endpoint of the r0.6.1 API descriptions (api/client-server/*.yaml at tag client_server/r0.6.1). */
export const R0_ENDPOINTS: readonly R0Endpoint[] = [
  // account-data.yaml
  client('PUT', '/user/{userId}/account_data/{type}'),
  client('GET', '/user/{userId}/account_data/{type}'),
  client('PUT', '/user/{userId}/rooms/{roomId}/account_data/{type}'),
  client('GET', '/user/{userId}/rooms/{roomId}/account_data/{type}'),
  // admin.yaml
  client('GET', '/admin/whois/{userId}'),
  // administrative_contact.yaml
  client('GET', '/account/3pid'),
  client('POST', '/account/3pid'),
  client('POST', '/account/3pid/add'),
  client('POST', '/account/3pid/bind'),
  client('POST', '/account/3pid/delete'),
  client('POST', '/account/3pid/unbind'),
  client('POST', '/account/3pid/email/requestToken'),
  client('POST', '/account/3pid/msisdn/requestToken'),
  // appservice_room_directory.yaml
  client('PUT', '/directory/list/appservice/{networkId}/{roomId}'),
  // banning.yaml, kicking.yaml, inviting.yaml, joining.yaml, leaving.yaml
  client('POST', '/rooms/{roomId}/ban'),
  client('POST', '/rooms/{roomId}/unban'),
  client('POST', '/rooms/{roomId}/kick'),
  client('POST', '/rooms/{roomId}/invite'),
  client('POST', '/rooms/{roomId}/join'),
  client('POST', '/join/{roomIdOrAlias}'),
  client('POST', '/rooms/{roomId}/leave'),
  client('POST', '/rooms/{roomId}/forget'),
  // capabilities.yaml, create_room.yaml
  client('GET', '/capabilities'),
  client('POST', '/createRoom'),
  // content-repo.yaml
  media('POST', '/upload'),
  media('GET', '/download/{serverName}/{mediaId}'),
  media('GET', '/download/{serverName}/{mediaId}/{fileName}'),
  media('GET', '/thumbnail/{serverName}/{mediaId}'),
  media('GET', '/preview_url'),
  media('GET', '/config'),
  // device_management.yaml
  client('GET', '/devices'),
  client('GET', '/devices/{deviceId}'),
  client('PUT', '/devices/{deviceId}'),
  client('DELETE', '/devices/{deviceId}'),
  client('POST', '/delete_devices'),
  // directory.yaml, list_public_rooms.yaml, list_joined_rooms.yaml
  client('PUT', '/directory/room/{roomAlias}'),
  client('GET', '/directory/room/{roomAlias}'),
  client('DELETE', '/directory/room/{roomAlias}'),
  client('GET', '/rooms/{roomId}/aliases'),
  client('GET', '/directory/list/room/{roomId}'),
  client('PUT', '/directory/list/room/{roomId}'),
  client('GET', '/publicRooms'),
  client('POST', '/publicRooms'),
  client('GET', '/joined_rooms'),
  // event_context.yaml, message_pagination.yaml, rooms.yaml
  client('GET', '/rooms/{roomId}/context/{eventId}'),
  client('GET', '/rooms/{roomId}/messages'),
  client('GET', '/rooms/{roomId}/event/{eventId}'),
  client('GET', '/rooms/{roomId}/state/{eventType}/{stateKey}'),
  client('GET', '/rooms/{roomId}/state'),
  client('GET', '/rooms/{roomId}/members'),
  client('GET', '/rooms/{roomId}/joined_members'),
  // filter.yaml
  client('POST', '/user/{userId}/filter'),
  client('GET', '/user/{userId}/filter/{filterId}'),
  // keys.yaml
  client('POST', '/keys/upload'),
  client('POST', '/keys/query'),
  client('POST', '/keys/claim'),
  client('GET', '/keys/changes'),
  // login.yaml, logout.yaml, sso_login_redirect.yaml, whoami.yaml
  client('GET', '/login'),
  client('POST', '/login'),
  client('POST', '/logout'),
  client('POST', '/logout/all'),
  client('GET', '/login/sso/redirect'),
  client('GET', '/account/whoami'),
  // notifications.yaml
  client('GET', '/notifications'),
  // old_sync.yaml, peeking_events.yaml, room_initial_sync.yaml
  client('GET', '/events'),
  client('GET', '/initialSync'),
  client('GET', '/events/{eventId}'),
  client('GET', '/rooms/{roomId}/initialSync'),
  // openid.yaml
  client('POST', '/user/{userId}/openid/request_token'),
  // presence.yaml
  client('PUT', '/presence/{userId}/status'),
  client('GET', '/presence/{userId}/status'),
  // profile.yaml
  client('PUT', '/profile/{userId}/displayname'),
  client('GET', '/profile/{userId}/displayname'),
  client('PUT', '/profile/{userId}/avatar_url'),
  client('GET', '/profile/{userId}/avatar_url'),
  client('GET', '/profile/{userId}'),
  // pusher.yaml
  client('GET', '/pushers'),
  client('POST', '/pushers/set'),
  // pushrules.yaml; GET /pushrules/ describes the drill-down by scope (`/pushrules/global/`) and kind.
  client('GET', '/pushrules/'),
  client('GET', '/pushrules/{scope}/'),
  client('GET', '/pushrules/{scope}/{kind}/'),
  client('GET', '/pushrules/{scope}/{kind}/{ruleId}'),
  client('DELETE', '/pushrules/{scope}/{kind}/{ruleId}'),
  client('PUT', '/pushrules/{scope}/{kind}/{ruleId}'),
  client('GET', '/pushrules/{scope}/{kind}/{ruleId}/enabled'),
  client('PUT', '/pushrules/{scope}/{kind}/{ruleId}/enabled'),
  client('GET', '/pushrules/{scope}/{kind}/{ruleId}/actions'),
  client('PUT', '/pushrules/{scope}/{kind}/{ruleId}/actions'),
  // read_markers.yaml, receipts.yaml, redaction.yaml
  client('POST', '/rooms/{roomId}/read_markers'),
  client('POST', '/rooms/{roomId}/receipt/{receiptType}/{eventId}'),
  client('PUT', '/rooms/{roomId}/redact/{eventId}/{txnId}'),
  // registration.yaml
  client('POST', '/register'),
  client('POST', '/register/email/requestToken'),
  client('POST', '/register/msisdn/requestToken'),
  client('GET', '/register/available'),
  client('POST', '/account/password'),
  client('POST', '/account/password/email/requestToken'),
  client('POST', '/account/password/msisdn/requestToken'),
  client('POST', '/account/deactivate'),
  // report_content.yaml
  client('POST', '/rooms/{roomId}/report/{eventId}'),
  // room_send.yaml, room_state.yaml ("the trailing slash is optional" for an empty state key), room_upgrades.yaml
  client('PUT', '/rooms/{roomId}/send/{eventType}/{txnId}'),
  client('PUT', '/rooms/{roomId}/state/{eventType}/{stateKey}'),
  client('PUT', '/rooms/{roomId}/state/{eventType}'),
  client('GET', '/rooms/{roomId}/state/{eventType}'),
  client('POST', '/rooms/{roomId}/upgrade'),
  // search.yaml, sync.yaml
  client('POST', '/search'),
  client('GET', '/sync'),
  // tags.yaml
  client('GET', '/user/{userId}/rooms/{roomId}/tags'),
  client('PUT', '/user/{userId}/rooms/{roomId}/tags/{tag}'),
  client('DELETE', '/user/{userId}/rooms/{roomId}/tags/{tag}'),
  // third_party_lookup.yaml
  client('GET', '/thirdparty/protocols'),
  client('GET', '/thirdparty/protocol/{protocol}'),
  client('GET', '/thirdparty/location/{protocol}'),
  client('GET', '/thirdparty/user/{protocol}'),
  client('GET', '/thirdparty/location'),
  client('GET', '/thirdparty/user'),
  // to_device.yaml, typing.yaml, users.yaml, voip.yaml
  client('PUT', '/sendToDevice/{eventType}/{txnId}'),
  client('PUT', '/rooms/{roomId}/typing/{userId}'),
  client('POST', '/user_directory/search'),
  client('GET', '/voip/turnServer'),
];

/**
 * Client paths whose whole subtree is aliased: r0.6.1 describes `/pushrules` as a tree to drill down into, so a
 * malformed path in it gets the v3 answer (400), not 404.
 */
export const R0_CLIENT_TREES: readonly string[] = ['/pushrules'];

const PREFIXES: Record<R0Endpoint['api'], { r0: string; v3: string }> = {
  client: { r0: '/_matrix/client/r0', v3: '/_matrix/client/v3' },
  media: { r0: '/_matrix/media/r0', v3: '/_matrix/media/v3' },
};

/** A regex source for an endpoint path; a parameter is one (%-encoded) segment, possibly empty (an empty state key). */
function pathPattern(path: string): string {
  return path
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
}

/** One regex per API matching the path (no query) below its r0 prefix, for any of its r0.6.1 endpoints. */
function aliasMatchers(): Record<R0Endpoint['api'], RegExp> {
  const sources = (api: R0Endpoint['api']): string[] => [
    ...new Set(R0_ENDPOINTS.filter((endpoint) => endpoint.api === api).map((endpoint) => pathPattern(endpoint.path))),
  ];
  const trees = R0_CLIENT_TREES.map((tree) => `${pathPattern(tree)}(?:/.*)?`);
  return {
    client: new RegExp(`^(?:${[...sources('client'), ...trees].join('|')})$`),
    media: new RegExp(`^(?:${sources('media').join('|')})$`),
  };
}

/**
 * Serves r0.6.1 endpoints under their r0 paths by rewriting the URL to the v3 path before the router runs; so
 * each route exists once, and a wrong method on an aliased path gets the v3 route's 405. The match is by path
 * alone for that reason. Paths that are no r0.6.1 endpoint stay as they are and end in 404 `M_UNRECOGNIZED`.
 */
// NOTSPEC: v1.19 defines only v3 paths; r0 clients still exist and Synapse serves them too (spec/notspec.md).
export function r0Aliases(): RequestHandler {
  const matchers = aliasMatchers();
  return (req, _res, next) => {
    for (const api of ['client', 'media'] as const) {
      const { r0, v3 } = PREFIXES[api];
      if (!req.url.startsWith(`${r0}/`)) continue;
      const queryStart = req.url.indexOf('?');
      const path = req.url.slice(r0.length, queryStart < 0 ? undefined : queryStart);
      if (matchers[api].test(path)) req.url = v3 + req.url.slice(r0.length);
      break;
    }
    next();
  };
}
