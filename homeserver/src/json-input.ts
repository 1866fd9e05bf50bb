/**
 * The input gate for JSON from clients: request bodies (http/middleware/json.ts) and JSON carried in query
 * parameters (inline `filter`s). Used by both HTTP and services, so it sits beside matrix-error.ts.
 */
import { hasLoneSurrogate, walkJson, type JsonProblem } from '@parley/federation';
import { MatrixError } from './matrix-error.js';

/** Default of `limits.json_max_depth`. */
export const DEFAULT_JSON_MAX_DEPTH = 64;

export interface JsonInputOptions {
  /** Deepest nesting of objects and arrays; the root object or array is depth 1. */
  maxDepth: number;
  /** The errcode of a refusal: `M_BAD_JSON` for bodies (default), `M_INVALID_PARAM` for query parameters. */
  errcode?: 'M_BAD_JSON' | 'M_INVALID_PARAM';
}

/**
 * One iterative walk that refuses, with 400 and a message naming the problem and its path:
 * - a NUL (U+0000) in any string or key: PostgreSQL cannot store it in text or JSON columns;
 * - a lone UTF-16 surrogate (`"\ud800"`) in any string or key: it has no UTF-8 form, so it can be neither stored
 *   faithfully nor hashed the way another server would;
 * - nesting of objects and arrays deeper than `maxDepth`.
 */
// NOTSPEC: the spec allows any JSON string and any depth; Parley refuses NUL, lone surrogates and deep nesting on every
// endpoint and on both databases alike, so no database error (nor behaviour that differs per database) is left for later.
export function checkJsonInput(value: unknown, options: JsonInputOptions): void {
  const problem = findUnsafeJson(value, options.maxDepth);
  if (!problem) return;
  const errcode = options.errcode ?? 'M_BAD_JSON';
  if (problem.kind === 'too_deep') throw tooDeep(options.maxDepth, problem.path, errcode);
  throw new MatrixError(400, errcode, problem.message);
}

/** The first NUL, lone surrogate or over-deep container in `value`, or `undefined`. */
export function findUnsafeJson(value: unknown, maxDepth: number): JsonProblem | undefined {
  return walkJson(value, { maxDepth, string: unsafeStringProblem, number: () => undefined });
}

/** `nul` or `lone_surrogate` when `text` holds one, else `undefined`. */
export function unsafeStringProblem(text: string): 'nul' | 'lone_surrogate' | undefined {
  if (text.includes('\u0000')) return 'nul';
  return hasLoneSurrogate(text) ? 'lone_surrogate' : undefined;
}

/** The refusal of JSON nested deeper than `maxDepth`. */
export function tooDeep(maxDepth: number, path: string, errcode = 'M_BAD_JSON'): MatrixError {
  return new MatrixError(400, errcode, `JSON is nested more than ${maxDepth} levels deep${path ? ` at ${path}` : ''}`);
}

/**
 * True when the JSON text opens more than `maxDepth` objects or arrays at once (brackets inside strings do not
 * count). A linear scan run before JSON.parse, which copes with deep nesting but spends seconds on millions of levels.
 */
export function textDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++; // a backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return false;
}

/** JSON.parse with the gate: depth bounded before parsing, then {@link checkJsonInput}. Throws `notJson` if unparseable. */
export function parseCheckedJson(text: string, options: JsonInputOptions & { notJson: () => MatrixError }): unknown {
  if (textDepthExceeds(text, options.maxDepth)) throw tooDeep(options.maxDepth, '', options.errcode);
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw options.notJson();
  }
  checkJsonInput(value, options);
  return value;
}

/**
 * 400 `M_TOO_LARGE` when a filter's JSON text is longer than `maxBytes` (UTF-8): the one bound on stored and inline
 * filters of /sync, /messages and /context (`limits.filter_max_bytes`).
 * NOTSPEC: the spec sets no size for filters; 400 rather than 413 because the request itself may be small (a
 * query parameter), it is the filter it carries that is too large.
 */
export function checkFilterSize(json: string, maxBytes: number): void {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: short strings need no measuring.
  if (json.length <= maxBytes / 3) return;
  if (Buffer.byteLength(json, 'utf8') > maxBytes) throw new MatrixError(400, 'M_TOO_LARGE', `Filters may be at most ${maxBytes} bytes`);
}
