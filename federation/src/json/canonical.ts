/**
 * Canonical JSON, as defined in the Matrix appendices:
 * https://spec.matrix.org/v1.19/appendices/#canonical-json
 *
 * Shortest UTF-8 JSON with object keys sorted by Unicode code point, integers only, within
 * [-(2**53)+1, (2**53)-1], and no `-0`. Strings must be valid Unicode: a lone UTF-16 surrogate has no UTF-8
 * encoding, so two servers would hash it differently; it is refused.
 */
import { hasLoneSurrogate, jsonProblem, walkJson, type JsonProblem, type JsonProblemKind } from './walk.js';

/** A JSON value as it appears on the wire. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

/** Largest integer canonical JSON allows (2**53 - 1). */
export const MAX_SAFE_CANONICAL_INTEGER = Number.MAX_SAFE_INTEGER;
/** Smallest integer canonical JSON allows (-(2**53) + 1). */
export const MIN_SAFE_CANONICAL_INTEGER = Number.MIN_SAFE_INTEGER;

/**
 * Deepest nesting of objects and arrays canonical JSON accepts (the root is depth 1). The spec sets no bound;
 * this one keeps encoding from overflowing the stack and is far beyond anything a real event holds.
 */
// NOTSPEC: the spec bounds no nesting depth; 512 levels is far beyond real events, and refusing deeper values keeps
// the recursive encoder and every other server's from running out of stack.
export const MAX_CANONICAL_DEPTH = 512;

/** Thrown when a value cannot be encoded as canonical JSON; `problem` says what and where. */
export class CanonicalJsonError extends Error {
  readonly path: string;

  constructor(readonly problem: JsonProblem) {
    super(problem.message);
    this.name = 'CanonicalJsonError';
    this.path = problem.path;
  }
}

export interface CanonicalJsonOptions {
  /**
   * Room versions 1-5 may hold integers outside the safe range (see the spec's warning box); when false,
   * such integers are still encoded (as JavaScript prints them) instead of rejected. Floats are always rejected.
   * Default: true.
   */
  strictIntegerRange?: boolean;
}

/**
 * The first reason `value` is not encodable as canonical JSON (a float, an integer outside the range, a lone
 * surrogate in a string or key, nesting beyond {@link MAX_CANONICAL_DEPTH}, a non-JSON value), or `undefined`.
 * Iterative: safe on any depth.
 */
export function findNonCanonical(value: unknown, options: CanonicalJsonOptions = {}): JsonProblem | undefined {
  const strict = options.strictIntegerRange ?? true;
  return walkJson(value, {
    maxDepth: MAX_CANONICAL_DEPTH,
    string: (text) => (hasLoneSurrogate(text) ? 'lone_surrogate' : undefined),
    number: (number) => numberProblem(number, strict),
  });
}

function numberProblem(value: number, strict: boolean): JsonProblemKind | undefined {
  if (!Number.isFinite(value) || !Number.isInteger(value)) return 'float';
  if (strict && (value > MAX_SAFE_CANONICAL_INTEGER || value < MIN_SAFE_CANONICAL_INTEGER)) return 'integer_out_of_range';
  return undefined;
}

function fail(kind: JsonProblemKind, path: string): never {
  throw new CanonicalJsonError(jsonProblem(kind, path));
}

/** Compares two strings by Unicode code point (not UTF-16 code unit, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ca = a.codePointAt(i) as number;
    const cb = b.codePointAt(i) as number;
    if (ca !== cb) return ca - cb;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Encodes `value` as canonical JSON text (a JS string; UTF-8 encode it for bytes). */
export function canonicalJson(value: unknown, options: CanonicalJsonOptions = {}): string {
  const strict = options.strictIntegerRange ?? true;
  try {
    return encode(value, '', strict, 0);
  } catch (error) {
    // Report the problem with the walk's path, which escapes what must not be echoed (NULs, lone surrogates).
    if (error instanceof CanonicalJsonError) throw new CanonicalJsonError(findNonCanonical(value, options) ?? error.problem);
    throw error;
  }
}

/** Encodes `value` as canonical JSON and returns its UTF-8 bytes. */
export function canonicalJsonBytes(value: unknown, options: CanonicalJsonOptions = {}): Buffer {
  return Buffer.from(canonicalJson(value, options), 'utf8');
}

/** Recursive, but `depth` is bounded by {@link MAX_CANONICAL_DEPTH}, so the stack cannot overflow. */
function encode(value: unknown, path: string, strict: boolean, depth: number): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return encodeString(value, path);
    case 'number':
      return encodeNumber(value, path, strict);
    case 'object':
      if (depth >= MAX_CANONICAL_DEPTH) fail('too_deep', path);
      if (Array.isArray(value)) {
        return `[${value.map((item, index) => encode(item, `${path}/${index}`, strict, depth + 1)).join(',')}]`;
      }
      return encodeObject(value as Record<string, unknown>, path, strict, depth + 1);
    default:
      return fail('unsupported_type', path);
  }
}

function encodeString(value: string, path: string): string {
  if (hasLoneSurrogate(value)) fail('lone_surrogate', path);
  return JSON.stringify(value);
}

function encodeNumber(value: number, path: string, strict: boolean): string {
  const problem = numberProblem(value, strict);
  if (problem) fail(problem, path);
  if (Object.is(value, -0)) return '0';
  return strict ? String(value) : BigInt(value).toString();
}

function encodeObject(value: Record<string, unknown>, path: string, strict: boolean, depth: number): string {
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) fail('unsupported_type', path);
  const keys = Object.keys(value)
    .filter((key) => value[key] !== undefined)
    .sort(compareCodePoints);
  const members = keys.map(
    (key) => `${encodeString(key, `${path}/${key}`)}:${encode(value[key], `${path}/${key}`, strict, depth)}`,
  );
  return `{${members.join(',')}}`;
}

/** True when `value` is a plain JSON object (not an array or null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep-copies a JSON value (structuredClone keeps the JSON shape). */
export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}
