/**
 * The identifier questions the auth rules ask: the domain of a user, room or event ID, and whether a value is
 * a user ID events may carry.
 * https://spec.matrix.org/v1.19/appendices/#identifier-grammar
 */
import { isValidUserId as isUserIdUnder } from '../ids/user-id.js';

/**
 * The server name part of a sigilled identifier (`@user:domain`, `!room:domain`, `$event:domain`): everything
 * after the first `:` (a localpart never holds one). `undefined` when there is no `:` (v12 room IDs, v3+
 * event IDs). Cheap on purpose: the rules compare domains, they do not validate them.
 */
export function domainOf(id: string): string | undefined {
  const index = id.indexOf(':');
  return index < 0 ? undefined : id.slice(index + 1);
}

/**
 * True when `value` is a user ID under the historical grammar, which servers MUST accept in events received
 * over federation: `@`, a localpart of anything but `:`, NUL and lone surrogates (possibly empty), `:`, a
 * valid server name, at most 255 bytes.
 * https://spec.matrix.org/v1.19/appendices/#historical-user-ids
 */
export function isValidUserId(value: unknown): value is string {
  return typeof value === 'string' && isUserIdUnder(value, { historical: true });
}
