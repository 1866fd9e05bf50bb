/**
 * The federation domain's public door: http/ and other domains import federation services from here only.
 */
export { createServerKeys, KEY_RESPONSE_VALIDITY_MS } from './keys.js';
export type { OldVerifyKey, ServerKeys, ServerKeysOptions } from './keys.js';
