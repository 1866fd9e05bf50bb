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
