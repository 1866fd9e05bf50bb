/**
 * Turning a search request into index criteria: event type wildcards, highlights, limits.
 * https://spec.matrix.org/v1.19/client-server-api/#filtering
 */
import { compileStarPattern, starPatternMatches, type StarPattern } from '@parley/federation';
import { INDEXED_TYPES } from './extract.js';
import type { SearchFilter } from './types.js';

/** Results per page when the filter gives no `limit`. */
export const DEFAULT_LIMIT = 10;
/** Most results per page, whatever the filter asks. */
export const MAX_LIMIT = 100;
/** Most context events on either side of a result. */
export const MAX_CONTEXT = 50;

/** The page size for `filter.limit`, clamped to 1..{@link MAX_LIMIT}. */
export function pageLimit(filter: SearchFilter | undefined): number {
  const limit = filter?.limit;
  if (limit === undefined || !Number.isFinite(limit) || limit < 1) return DEFAULT_LIMIT;
  return Math.min(Math.trunc(limit), MAX_LIMIT);
}

/**
 * The indexed event types the filter's `types` / `not_types` admit, or undefined when it names neither.
 * `*` matches any run of characters, as in every RoomEventFilter.
 */
export function admittedTypes(filter: SearchFilter | undefined): string[] | undefined {
  if (filter?.types === undefined && filter?.not_types === undefined) return undefined;
  // Not `.*` regular expressions: `*a*a*a…` would backtrack for ever.
  const include = filter.types?.map(compileStarPattern);
  const exclude = (filter.not_types ?? []).map(compileStarPattern);
  const admits = (patterns: readonly StarPattern[], type: string) => patterns.some((pieces) => starPatternMatches(pieces, type));
  return Object.keys(INDEXED_TYPES).filter((type) => (include === undefined || admits(include, type)) && !admits(exclude, type));
}

/** Letters, numbers and private-use characters: what both full-text engines treat as parts of words. */
const WORD = /[\p{L}\p{N}\p{Co}]+/gu;

/** The words of a search term, lower-cased and without repeats. */
export function termWords(term: string): string[] {
  return [...new Set((term.match(WORD) ?? []).map((word) => word.toLowerCase()))];
}

/**
 * `highlights`: the term's words plus every word of the returned texts that one of them is a prefix of (search
 * matches word prefixes, so "meet" also found "meeting"). Lower-cased, sorted, without repeats.
 */
export function highlightsFor(term: string, texts: readonly string[]): string[] {
  const words = termWords(term);
  const found = new Set(words);
  for (const text of texts) {
    for (const word of text.match(WORD) ?? []) {
      const lower = word.toLowerCase();
      if (words.some((prefix) => lower.startsWith(prefix))) found.add(lower);
    }
  }
  return [...found].sort();
}
