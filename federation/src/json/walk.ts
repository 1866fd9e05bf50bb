/**
 * One iterative walk over a parsed JSON value that reports the first problem a caller's checks find, with its
 * location. Iterative (an explicit stack, no recursion), so no nesting depth can overflow the call stack.
 */

/** What can be wrong with a JSON value; each checker reports a subset. */
export type JsonProblemKind =
  | 'float'
  | 'integer_out_of_range'
  | 'lone_surrogate'
  | 'nul'
  | 'too_deep'
  | 'unsupported_type';

/** The first problem found: what and where (a JSON-pointer-like path, `""` for the root). */
export interface JsonProblem {
  kind: JsonProblemKind;
  path: string;
  /** A short human-readable sentence naming the problem and its path. */
  message: string;
}

/** The checks one walk applies. A check returns the problem's kind, or `undefined` when the value is fine. */
export interface JsonChecks {
  /** Deepest allowed nesting of objects and arrays; the root object or array is depth 1. */
  maxDepth: number;
  /** Called for every string value and every object key. */
  string(value: string): JsonProblemKind | undefined;
  /** Called for every number. */
  number(value: number): JsonProblemKind | undefined;
}

/** An unpaired UTF-16 surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when `value` holds a UTF-16 surrogate that is not half of a pair (it has no Unicode scalar value). */
export function hasLoneSurrogate(value: string): boolean {
  return LONE_SURROGATE.test(value);
}

const MESSAGES: Record<JsonProblemKind, string> = {
  float: 'numbers must be integers',
  integer_out_of_range: 'integer out of the canonical range [-(2**53)+1, (2**53)-1]',
  lone_surrogate: 'string contains a lone UTF-16 surrogate',
  nul: 'string contains a NUL character (U+0000)',
  too_deep: 'objects and arrays are nested too deeply',
  unsupported_type: 'value is not JSON',
};

/** Builds a problem with its standard message, e.g. `string contains a NUL character (U+0000) at /content/body`. */
export function jsonProblem(kind: JsonProblemKind, path: string): JsonProblem {
  return { kind, path, message: `${MESSAGES[kind]} at ${path || '/'}` };
}

interface Frame {
  value: unknown;
  key: string | number | undefined;
  parent: Frame | undefined;
  /** Nesting depth of the container this value is in (0 for the root). */
  depth: number;
}

/** Walks `root` depth-first and returns the first problem `checks` report, or `undefined`. */
export function walkJson(root: unknown, checks: JsonChecks): JsonProblem | undefined {
  const stack: Frame[] = [{ value: root, key: undefined, parent: undefined, depth: 0 }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const problem = checkValue(frame, checks, stack);
    if (problem) return problem;
  }
  return undefined;
}

function checkValue(frame: Frame, checks: JsonChecks, stack: Frame[]): JsonProblem | undefined {
  const { value } = frame;
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'string') return found(checks.string(value), frame);
  if (typeof value === 'number') return found(checks.number(value), frame);
  if (typeof value !== 'object' || !isArrayOrPlainObject(value)) return found('unsupported_type', frame);
  const depth = frame.depth + 1;
  if (depth > checks.maxDepth) return found('too_deep', frame);
  if (Array.isArray(value)) {
    for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: i, parent: frame, depth });
    return undefined;
  }
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i] as string;
    const member = (value as Record<string, unknown>)[key];
    // Members set to undefined are absent, as in JSON.stringify and canonicalJson.
    if (member === undefined) continue;
    const keyProblem = checks.string(key);
    if (keyProblem) return found(keyProblem, { value: key, key, parent: frame, depth });
    stack.push({ value: member, key, parent: frame, depth });
  }
  return undefined;
}

function isArrayOrPlainObject(value: object): boolean {
  if (Array.isArray(value)) return true;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function found(kind: JsonProblemKind | undefined, frame: Frame): JsonProblem | undefined {
  return kind === undefined ? undefined : jsonProblem(kind, pathOf(frame));
}

/** The frame's location, `/a/0/b`, with `~` and `/` escaped as in JSON pointers and unsafe characters shown as `\uXXXX`. */
function pathOf(frame: Frame): string {
  const parts: string[] = [];
  for (let f: Frame | undefined = frame; f?.key !== undefined; f = f.parent) parts.push(showKey(f.key));
  return parts.reverse().map((part) => `/${part}`).join('');
}

function showKey(key: string | number): string {
  if (typeof key === 'number') return String(key);
  const escaped = key.replaceAll('~', '~0').replaceAll('/', '~1');
  // A path is echoed in error messages: never echo a NUL or a lone surrogate back.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is being escaped
  return escaped.replace(/[\u0000-\u001f]|[\ud800-\udfff]/g, (char, offset: number, whole: string) =>
    isPairedSurrogate(whole, offset) ? char : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function isPairedSurrogate(text: string, offset: number): boolean {
  const code = text.charCodeAt(offset);
  if (code >= 0xd800 && code <= 0xdbff) return (text.charCodeAt(offset + 1) & 0xfc00) === 0xdc00;
  if (code >= 0xdc00 && code <= 0xdfff) return (text.charCodeAt(offset - 1) & 0xfc00) === 0xd800;
  return false;
}
