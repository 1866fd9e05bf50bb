/**
 * Dot-separated property paths (`content.m\.relates_to.rel_type`) and looking them up in an event.
 * https://spec.matrix.org/v1.19/appendices/#dot-separated-property-paths
 */
import { isJsonObject, parseDottedPath, type JsonValue } from '@parley/federation';

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
