/**
 * The canonical-JSON rule at the entry of the local event write path: an event is hashed and signed as canonical
 * JSON, so what a client puts in it must be encodable as such.
 * https://spec.matrix.org/v1.19/appendices/#canonical-json
 */
import { findNonCanonical, type JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';

/**
 * Refuses a local event whose type, state key or content holds a float, an integer outside
 * [-(2**53)+1, (2**53)-1], a lone surrogate or nesting too deep for canonical JSON: 400 `M_BAD_JSON` with the path.
 * Strict in every room version: the wider integer range of v1-v5 is tolerated only in events from other servers.
 */
export function requireCanonicalTemplate(template: { type: string; stateKey?: string; content: JsonObject }): void {
  const { type, stateKey, content } = template;
  const problem = findNonCanonical({ type, state_key: stateKey, content });
  if (problem) throw new MatrixError(400, 'M_BAD_JSON', `Event is not canonical JSON: ${problem.message}`);
}
