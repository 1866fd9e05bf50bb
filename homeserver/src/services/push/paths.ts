/**
 * Dot-separated property paths (`content.m\.relates_to.rel_type`) and looking them up in an event.
 * https://spec.matrix.org/v1.19/appendices/#dot-separated-property-paths
 */
import { isJsonObject, parseDottedPath, type JsonValue } from '@parley/federation';

/** Parsed paths kept (rules name few distinct paths); the cache starts over beyond it. */
const MAX_PARSED_PATHS = 1024;
const parsedPaths = new Map<string, readonly string[]>();

function partsOf(path: string): readonly string[] {
  let parts = parsedPaths.get(path);
  if (parts === undefined) {
    if (parsedPaths.size >= MAX_PARSED_PATHS) parsedPaths.clear();
    parts = parseDottedPath(path);
    parsedPaths.set(path, parts);
  }
  return parts;
}

/**
 * The value at `path` in `event`, or undefined when a step is missing or is not an object. Arrays are
 * values, not containers: a path never indexes into one.
 */
export function lookupPath(event: JsonValue, path: string): JsonValue | undefined {
  let value: JsonValue | undefined = event;
  for (const part of partsOf(path)) {
    if (!isJsonObject(value) || !Object.hasOwn(value, part)) return undefined;
    value = value[part];
  }
  return value;
}
