/**
 * Registration tokens for token-authenticated registration, created by the operator (`parley
 * create-registration-token`) since there is no admin API yet.
 * https://spec.matrix.org/v1.19/client-server-api/#token-authenticated-registration
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { MatrixError } from '../../matrix-error.js';
import type { AccountStore } from '../../storage/index.js';
import { hashToken } from './secrets.js';
import type { RegistrationTokenInfo } from './types.js';

/** The spec's token grammar: 1 to 64 of `[A-Za-z0-9._~-]`. */
const REGISTRATION_TOKEN_PATTERN = /^[A-Za-z0-9._~-]{1,64}$/;

export interface NewRegistrationToken {
  /** Random (16 characters) when omitted. */
  token?: string;
  /** Null or omitted: unlimited. */
  usesAllowed?: number | null;
  /** Null or omitted: never expires. */
  expiryTs?: number | null;
}

/** Creates a registration token; 400 `M_INVALID_PARAM` for a malformed or existing token. */
export async function createRegistrationToken(store: AccountStore, clock: Clock, options: NewRegistrationToken): Promise<RegistrationTokenInfo> {
  const token = options.token ?? randomBytes(12).toString('base64url');
  if (!REGISTRATION_TOKEN_PATTERN.test(token)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Tokens are 1-64 of A-Z a-z 0-9 . _ ~ -');
  const usesAllowed = options.usesAllowed ?? null;
  if (usesAllowed !== null && (!Number.isInteger(usesAllowed) || usesAllowed < 0)) {
    throw new MatrixError(400, 'M_INVALID_PARAM', 'uses_allowed must be a non-negative integer');
  }
  // Stored as its SHA-256 only: this answer is the one time the token is shown.
  const record = { tokenHash: hashToken(token), usesAllowed, expiryTs: options.expiryTs ?? null, createdTs: clock.now() };
  if (!(await store.createRegistrationToken(record))) throw new MatrixError(400, 'M_INVALID_PARAM', 'This token already exists');
  return { token, usesAllowed, expiryTs: record.expiryTs, pending: 0, completed: 0 };
}
