/**
 * Glob matching for push rules: @parley/federation's linear star-glob matcher with the caches push needs.
 * One event is matched against every member's rules, so the same few values are folded over and over, and
 * every user has the same default patterns.
 * https://spec.matrix.org/v1.19/appendices/#glob-style-matching
 */
import {
  compileLiteralGlob,
  compileStarGlob,
  foldForGlob,
  starGlobMatchesWhole,
  starGlobMatchesWords,
  unlimitedGlobBudget,
  type GlobBudget,
  type StarGlob,
} from '@parley/federation';

export type { GlobBudget, StarGlob } from '@parley/federation';

let lastFolded: { value: string; codes: Int32Array } = { value: '', codes: new Int32Array(0) };

function fold(value: string): Int32Array {
  if (value !== lastFolded.value) lastFolded = { value, codes: foldForGlob(value) };
  return lastFolded.codes;
}

let lastLowered: { value: string; lower: string } = { value: '', lower: '' };

/**
 * False when `glob` cannot match anywhere in `value`: one of its `?`-free pieces between `*`s is not a
 * case-insensitive substring of it. Matching folds with the same `toLowerCase`, so this never rejects a match; it is
 * a native substring search, cheap beside compiling and scanning, for the per-user legacy name rules that match
 * nothing in almost every message.
 */
export function mayMatch(pattern: string, value: string, options: { literal: boolean }): boolean {
  if (value !== lastLowered.value) lastLowered = { value, lower: value.toLowerCase() };
  const { lower } = lastLowered;
  if (options.literal) return lower.includes(pattern.toLowerCase());
  return pattern.split('*').every((piece) => piece.includes('?') || lower.includes(piece.toLowerCase()));
}

/** Compiled patterns by source. */
const compiled = new Map<string, StarGlob>();
const MAX_COMPILED = 1000;

/** Compiles a glob: `*` is zero or more characters, `?` exactly one, everything else literal. */
export function compileGlob(pattern: string): StarGlob {
  let glob = compiled.get(pattern);
  if (glob === undefined) {
    glob = compileStarGlob(pattern);
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(pattern, glob);
  }
  return glob;
}

/** Compiles a literal string (a display name) to match with the same machinery, wildcards and all literal. */
export function compileLiteral(text: string): StarGlob {
  return compileLiteralGlob(text);
}

/** True when the glob matches the entire `value`, case-insensitively (false once `budget` is spent). */
export function globMatchesWhole(glob: StarGlob, value: string, budget: GlobBudget = unlimitedGlobBudget()): boolean {
  return starGlobMatchesWhole(glob, fold(value), budget);
}

/**
 * True when the glob matches some substring of `value` that starts and ends at a word boundary (false once
 * `budget` is spent). Used for `content.body`, content rules and display names.
 * https://spec.matrix.org/v1.19/client-server-api/#conditions-1
 */
export function globMatchesWords(glob: StarGlob, value: string, budget: GlobBudget = unlimitedGlobBudget()): boolean {
  return starGlobMatchesWords(glob, fold(value), budget);
}
