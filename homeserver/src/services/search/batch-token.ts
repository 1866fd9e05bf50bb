/**
 * The `next_batch` token of POST /search: where the next page of the same search starts.
 * https://spec.matrix.org/v1.19/client-server-api/#pagination-1
 *
 * Opaque to clients: unpadded base64url of a small JSON object. Every page of one search reads the index as of
 * the `events` stream position of its first page (`snapshot`), so messages arriving meanwhile neither shift nor
 * repeat results. `recent` pages continue strictly below a stream position; `rank` pages skip a number of hits.
 */
import { MatrixError } from '../../matrix-error.js';

export type BatchPosition =
  | { order: 'recent'; snapshot: number; before: number }
  | { order: 'rank'; snapshot: number; offset: number };

interface TokenJson {
  v: 1;
  o: 'c' | 'r';
  s: number;
  p: number;
}

export function encodeBatchToken(position: BatchPosition): string {
  const json: TokenJson = {
    v: 1,
    o: position.order === 'recent' ? 'c' : 'r',
    s: position.snapshot,
    p: position.order === 'recent' ? position.before : position.offset,
  };
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

/**
 * Reads a token; a token that is not one of ours, or was made for the other ordering, is 400 M_INVALID_PARAM
 * (the spec asks for the *same* request with the token).
 */
export function decodeBatchToken(token: string, order: 'recent' | 'rank'): BatchPosition {
  const json = parseToken(token);
  if (json === null) throw new MatrixError(400, 'M_INVALID_PARAM', 'next_batch is not a valid search token');
  const tokenOrder = json.o === 'c' ? 'recent' : 'rank';
  if (tokenOrder !== order) throw new MatrixError(400, 'M_INVALID_PARAM', 'next_batch belongs to a search with another order_by');
  return tokenOrder === 'recent'
    ? { order: 'recent', snapshot: json.s, before: json.p }
    : { order: 'rank', snapshot: json.s, offset: json.p };
}

function parseToken(token: string): TokenJson | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(token)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { v, o, s, p } = value as Record<string, unknown>;
  if (v !== 1 || (o !== 'c' && o !== 'r') || !isPosition(s) || !isPosition(p)) return null;
  return { v, o, s, p };
}

function isPosition(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
