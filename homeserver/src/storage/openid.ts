/**
 * Repository interface: OpenID tokens, stored as their SHA-256 with the user they prove and their expiry.
 * Re-exported by storage/index.ts; implemented by knex/openid.repo.ts for both dialects.
 * https://spec.matrix.org/v1.19/client-server-api/#openid
 */

export interface OpenIdTokenRecord {
  /** The hex SHA-256 of the token. */
  tokenHash: string;
  userId: string;
  createdTs: number;
  expiresTs: number;
}

export interface OpenIdTokenStore {
  addOpenIdToken(token: OpenIdTokenRecord): Promise<void>;
  /** The token with this hash if it has not expired at `now`, else null. */
  findOpenIdToken(tokenHash: string, now: number): Promise<OpenIdTokenRecord | null>;
  /** Deletes the tokens that expired at or before `now`. */
  deleteExpiredOpenIdTokens(now: number): Promise<void>;
}
