/**
 * @parley/federation: the pure Matrix protocol library. Named exports only; no I/O outside net/.
 */
export * from './json/canonical.js';
export * from './crypto/base64.js';
export * from './crypto/keys.js';
export * from './crypto/sign.js';
export * from './crypto/hash.js';
export * from './room-versions/table.js';
export * from './events/pdu.js';
export * from './events/redact.js';
export * from './auth/types.js';
