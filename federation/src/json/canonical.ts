/**
 * Canonical JSON, as defined in the Matrix appendices:
 * https://spec.matrix.org/v1.19/appendices/#canonical-json
 *
 * Shortest UTF-8 JSON with object keys sorted by Unicode code point, integers only, within
 * [-(2**53)+1, (2**53)-1], and no `-0`.
 */

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

/** Thrown when a value cannot be encoded as canonical JSON. `path` is a JSON-pointer-like location. */
export class CanonicalJsonError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${message} at ${path || '/'}`);
    this.name = 'CanonicalJsonError';
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
  return encode(value, '', strict);
}

/** Encodes `value` as canonical JSON and returns its UTF-8 bytes. */
export function canonicalJsonBytes(value: unknown, options: CanonicalJsonOptions = {}): Buffer {
  return Buffer.from(canonicalJson(value, options), 'utf8');
}

function encode(value: unknown, path: string, strict: boolean): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return encodeNumber(value, path, strict);
    case 'object':
      if (Array.isArray(value)) {
        return `[${value.map((item, index) => encode(item, `${path}/${index}`, strict)).join(',')}]`;
      }
      return encodeObject(value as Record<string, unknown>, path, strict);
    default:
      throw new CanonicalJsonError(`cannot encode a value of type ${typeof value}`, path);
  }
}

function encodeNumber(value: number, path: string, strict: boolean): string {
  if (!Number.isFinite(value) || !Number.isInteger(value)) {
    throw new CanonicalJsonError('numbers must be integers', path);
  }
  if (strict && (value > MAX_SAFE_CANONICAL_INTEGER || value < MIN_SAFE_CANONICAL_INTEGER)) {
    throw new CanonicalJsonError('integer out of the canonical range', path);
  }
  if (Object.is(value, -0)) return '0';
  return strict ? String(value) : BigInt(value).toString();
}

function encodeObject(value: Record<string, unknown>, path: string, strict: boolean): string {
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) {
    throw new CanonicalJsonError('only plain objects can be encoded', path);
  }
  const keys = Object.keys(value)
    .filter((key) => value[key] !== undefined)
    .sort(compareCodePoints);
  const members = keys.map(
    (key) => `${JSON.stringify(key)}:${encode(value[key], `${path}/${key}`, strict)}`,
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
