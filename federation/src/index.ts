/**
 * @parley/federation: the pure Matrix protocol library. Named exports only; no I/O outside net/.
 */
export * from './json/canonical.js';
export * from './json/walk.js';
export * from './json/dotted-path.js';
export * from './json/star-glob.js';
export * from './crypto/base64.js';
export * from './crypto/keys.js';
export * from './crypto/sign.js';
export * from './crypto/hash.js';
export * from './room-versions/table.js';
export * from './events/pdu.js';
export * from './events/redact.js';
export * from './auth/types.js';
export * from './ids/server-name.js';
export * from './ids/user-id.js';
export * from './ids/room-id.js';
export * from './ids/event-id.js';
export * from './ids/room-alias.js';
export * from './events/build.js';
export * from './events/validate.js';
export * from './x-matrix/header.js';
export { resolveState } from './state-res/resolve.js';
export type { StateResStore, StateResEvent, StateMap, ResolveStateInput, Authorize } from './state-res/types.js';
export * from './auth/rules.js';
export * from './auth/auth-events.js';
export * from './auth/power-levels.js';
