/**
 * Dot-separated property paths (`content.m\.relates_to.rel_type`) and looking them up in an event.
 * https://spec.matrix.org/v1.19/appendices/#dot-separated-property-paths
 */
import { isJsonObject, type JsonValue } from '@parley/federation';

/**
 * Splits a path on unescaped dots. `\.` is a literal dot and `\\` a literal backslash; any other escape
 * (`\x`) stays as written, a backslash followed by the character.
 */
export function parseDottedPath(path: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let index = 0; index < path.length; index += 1) {
    const char = path[index] as string;
    const next = path[index + 1];
    if (char === '\\' && (next === '.' || next === '\\')) {
      current += next;
      index += 1;
    } else if (char === '.') {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

/**
 * The value at `path` in `event`, or undefined when a step is missing or is not an object. Arrays are
 * values, not containers: a path never indexes into one.
 */
export function lookupPath(event: JsonValue, path: string): JsonValue | undefined {
  let value: JsonValue | undefined = event;
  for (const part of parseDottedPath(path)) {
    if (!isJsonObject(value) || !Object.hasOwn(value, part)) return undefined;
    value = value[part];
  }
  return value;
}
