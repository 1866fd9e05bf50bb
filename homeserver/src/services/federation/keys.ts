/**
 * This server's signing keys as published to other servers.
 * https://spec.matrix.org/v1.19/server-server-api/#publishing-keys
 */
import { encodeUnpaddedBase64 } from '@parley/federation';
import type { SigningKey } from '@parley/federation';
import { signJson } from '@parley/federation';
import type { JsonObject } from '@parley/federation';
import type { Clock } from '../../clock.js';

/** A key we no longer sign with, still published so that old events can be checked. */
export interface OldVerifyKey {
  /** Unpadded base64 ed25519 public key. */
  key: string;
  /** When we stopped using it, in ms since the epoch. */
  expired_ts: number;
}

/**
 * How long other servers may cache our key response. The spec asks for at least an hour and says receivers
 * cap it at 7 days; a day lets a key rotation reach everyone within a day.
 */
export const KEY_RESPONSE_VALIDITY_MS = 24 * 60 * 60 * 1000;

export interface ServerKeysOptions {
  serverName: string;
  signingKey: SigningKey;
  oldVerifyKeys: Readonly<Record<string, OldVerifyKey>>;
  clock: Clock;
  /** Defaults to {@link KEY_RESPONSE_VALIDITY_MS}. */
  validityMs?: number;
}

/** The server's own key material and the signed key document built from it. */
export interface ServerKeys {
  readonly serverName: string;
  readonly signingKey: SigningKey;
  /**
   * The body of `GET /_matrix/key/v2/server`: `server_name`, `verify_keys`, `old_verify_keys`,
   * `valid_until_ts`, signed by every key in `verify_keys` (we have one).
   */
  keyDocument(): JsonObject;
  /** Returns `object` with this server's signature added. */
  sign<T extends JsonObject>(object: T): T;
}

/** Creates the key service. */
export function createServerKeys(options: ServerKeysOptions): ServerKeys {
  const { serverName, signingKey, clock } = options;
  const validityMs = options.validityMs ?? KEY_RESPONSE_VALIDITY_MS;
  // The current key must not also be listed as expired, whatever the config says.
  const oldVerifyKeys: JsonObject = {};
  for (const [keyId, old] of Object.entries(options.oldVerifyKeys)) {
    if (keyId !== signingKey.keyId) oldVerifyKeys[keyId] = { key: old.key, expired_ts: old.expired_ts };
  }
  const sign = <T extends JsonObject>(object: T): T => signJson(object, serverName, signingKey);
  return {
    serverName,
    signingKey,
    sign,
    keyDocument: () =>
      sign({
        server_name: serverName,
        verify_keys: { [signingKey.keyId]: { key: encodeUnpaddedBase64(signingKey.publicKey) } },
        old_verify_keys: oldVerifyKeys,
        valid_until_ts: clock.now() + validityMs,
      }),
  };
}
