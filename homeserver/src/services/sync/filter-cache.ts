/**
 * Inline filters through the JSON input gate, and a small cache of parsed filters so a stored
 * filter is validated and resolved once, not on every /sync.
 * https://spec.matrix.org/v1.19/client-server-api/#filtering
 */
import { DEFAULT_JSON_MAX_DEPTH, parseCheckedJson } from '../../json-input.js';
import { MatrixError } from '../../matrix-error.js';
import { parseFilterJson, type ResolvedFilter, type SyncFilter } from './filter.js';

/**
 * Parses an inline `filter=` JSON parameter through the same input gate as request bodies: 400 `M_NOT_JSON` when
 * it is not JSON, 400 `M_INVALID_PARAM` for NUL, lone surrogates or nesting deeper than the body limit.
 */
export function parseInlineFilter(text: string): SyncFilter {
  const json = parseCheckedJson(text, {
    maxDepth: DEFAULT_JSON_MAX_DEPTH,
    errcode: 'M_INVALID_PARAM',
    notJson: () => new MatrixError(400, 'M_NOT_JSON', 'The filter parameter is not valid JSON'),
  });
  return parseFilterJson(json);
}

/** Parsed filters kept: a few per active device. */
const MAX_CACHED_FILTERS = 256;

/** Inline filters longer than this are parsed on each request rather than kept (their text is the key). */
export const MAX_CACHED_INLINE_FILTER_LENGTH = 4096;

export interface FilterCache {
  /** The cached filter for `key`, if any (and marks it recently used). */
  peek(key: string): ResolvedFilter | undefined;
  /** The cached filter for `key`, or `build()`'s, cached. A throwing `build` caches nothing. */
  get(key: string, build: () => ResolvedFilter): ResolvedFilter;
}

/** A least-recently-used cache of resolved filters. */
export function createFilterCache(capacity = MAX_CACHED_FILTERS): FilterCache {
  const entries = new Map<string, ResolvedFilter>();
  const peek = (key: string): ResolvedFilter | undefined => {
    const found = entries.get(key);
    if (found === undefined) return undefined;
    entries.delete(key);
    entries.set(key, found);
    return found;
  };
  return {
    peek,
    get(key, build) {
      const found = peek(key);
      if (found !== undefined) return found;
      const built = build();
      entries.set(key, built);
      if (entries.size > capacity) entries.delete(entries.keys().next().value as string);
      return built;
    },
  };
}
