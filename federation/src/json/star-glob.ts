/**
 * Glob matching for push rules in time linear in the input: the pattern is split on `*` into segments that are
 * matched left to right, each at its leftmost place (which is optimal for `*`-separated fixed-length pieces), so
 * no backtracking and no automaton over the whole pattern. Segments without `?` are found with Knuth–Morris–Pratt
 * (O(value + segment)); segments with `?` by direct comparison, which every caller bounds with a {@link GlobBudget}.
 * `*` is zero or more characters, `?` exactly one, everything else is literal; matching is case-insensitive
 * (full Unicode lower case of both sides, compared code point by code point).
 * https://spec.matrix.org/v1.19/appendices/#glob-style-matching
 */

/** The code of `?` inside a compiled segment: matches any one code point. */
const ANY = -1;

/** One piece of a pattern between two `*`: code points, {@link ANY} for `?`. */
interface Segment {
  readonly codes: Int32Array;
  /** KMP failure table when the segment has no `?`; null when it has one. */
  readonly failure: Int32Array | null;
}

/** A compiled glob: its segments, and whether there was a `*` at all. */
export interface StarGlob {
  readonly segments: readonly Segment[];
  readonly starred: boolean;
}

/**
 * Work left for one evaluation, in character comparisons. Matching charges it and gives up (no match) once it
 * is spent, so a caller bounds the total cost of many matches.
 */
export interface GlobBudget {
  remaining: number;
}

/** Thrown inside the matcher when the budget runs out; the public functions turn it into "no match". */
class BudgetSpent extends Error {}

function charge(budget: GlobBudget, cost: number): void {
  budget.remaining -= cost;
  if (budget.remaining < 0) throw new BudgetSpent();
}

/** The case-folded code points of `text`, as the matcher compares them. */
export function foldForGlob(text: string): Int32Array {
  const lower = text.toLowerCase();
  const codes = new Int32Array(lower.length);
  let length = 0;
  for (let index = 0; index < lower.length; index += 1) {
    const code = lower.codePointAt(index) as number;
    codes[length] = code;
    length += 1;
    if (code > 0xffff) index += 1;
  }
  return codes.subarray(0, length);
}

function failureTable(codes: Int32Array): Int32Array {
  const failure = new Int32Array(codes.length);
  let k = 0;
  for (let index = 1; index < codes.length; index += 1) {
    while (k > 0 && codes[index] !== codes[k]) k = failure[k - 1] as number;
    if (codes[index] === codes[k]) k += 1;
    failure[index] = k;
  }
  return failure;
}

function segment(codes: Int32Array): Segment {
  return { codes, failure: codes.includes(ANY) ? null : failureTable(codes) };
}

/** Compiles a glob pattern. */
export function compileStarGlob(pattern: string): StarGlob {
  const folded = foldForGlob(pattern);
  const segments: Segment[] = [];
  let start = 0;
  for (let index = 0; index <= folded.length; index += 1) {
    if (index < folded.length && folded[index] !== 0x2a) continue;
    const codes = folded.slice(start, index).map((code) => (code === 0x3f ? ANY : code));
    segments.push(segment(codes));
    start = index + 1;
  }
  return { segments, starred: segments.length > 1 };
}

/** Compiles a literal text (a display name): one segment, `*` and `?` literal. */
export function compileLiteralGlob(text: string): StarGlob {
  return { segments: [segment(foldForGlob(text))], starred: false };
}

/** Whether `seg` matches `value` at `at` (the caller checked it fits). */
function matchesAt(seg: Segment, value: Int32Array, at: number, budget: GlobBudget): boolean {
  const { codes } = seg;
  for (let index = 0; index < codes.length; index += 1) {
    const code = codes[index] as number;
    if (code !== ANY && code !== value[at + index]) {
      charge(budget, index + 1);
      return false;
    }
  }
  charge(budget, codes.length + 1);
  return true;
}

type Accept = (start: number) => boolean;

/**
 * The leftmost start `s` in `[from, to - length]` where `seg` matches and `accept(s)` holds, or -1. KMP for
 * `?`-free segments (each value character read once), direct comparison otherwise.
 */
function scan(seg: Segment, value: Int32Array, from: number, to: number, budget: GlobBudget, accept: Accept): number {
  const { codes, failure } = seg;
  const length = codes.length;
  if (length === 0 || failure === null) {
    for (let start = from; start + length <= to; start += 1) {
      if ((length === 0 ? (charge(budget, 1), true) : matchesAt(seg, value, start, budget)) && accept(start)) return start;
    }
    return -1;
  }
  let k = 0;
  for (let index = from; index < to; index += 1) {
    charge(budget, 1);
    while (k > 0 && value[index] !== codes[k]) k = failure[k - 1] as number;
    if (value[index] === codes[k]) k += 1;
    if (k === length) {
      const start = index - length + 1;
      if (accept(start)) return start;
      k = failure[k - 1] as number;
    }
  }
  return -1;
}

const ANYWHERE: Accept = () => true;

/** Matches the middle segments greedily from `from`, each ending by `to`; the position after the last, or -1. */
function matchMiddle(glob: StarGlob, value: Int32Array, from: number, to: number, budget: GlobBudget): number {
  let position = from;
  for (let index = 1; index < glob.segments.length - 1; index += 1) {
    const seg = glob.segments[index] as Segment;
    const start = scan(seg, value, position, to, budget, ANYWHERE);
    if (start < 0) return -1;
    position = start + seg.codes.length;
  }
  return position;
}

function wholeMatch(glob: StarGlob, value: Int32Array, budget: GlobBudget): boolean {
  const first = glob.segments[0] as Segment;
  const last = glob.segments[glob.segments.length - 1] as Segment;
  if (!glob.starred) return first.codes.length === value.length && matchesAt(first, value, 0, budget);
  const end = value.length - last.codes.length;
  if (end < first.codes.length || !matchesAt(first, value, 0, budget) || !matchesAt(last, value, end, budget)) return false;
  return matchMiddle(glob, value, first.codes.length, end, budget) >= 0;
}

/** `[A-Za-z0-9_]` (the value is folded, but upper case is kept for code points without a lower case). */
function isWordCode(code: number | undefined): boolean {
  if (code === undefined) return false;
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f;
}

function wordsMatch(glob: StarGlob, value: Int32Array, budget: GlobBudget): boolean {
  const startsWord: Accept = (start) => !isWordCode(value[start - 1]);
  const first = glob.segments[0] as Segment;
  const endsWordAfter = (seg: Segment): Accept => (start) => !isWordCode(value[start + seg.codes.length]);
  if (!glob.starred) return scan(first, value, 0, value.length, budget, (start) => startsWord(start) && endsWordAfter(first)(start)) >= 0;
  const begin = scan(first, value, 0, value.length, budget, startsWord);
  if (begin < 0) return false;
  const position = matchMiddle(glob, value, begin + first.codes.length, value.length, budget);
  if (position < 0) return false;
  const last = glob.segments[glob.segments.length - 1] as Segment;
  return scan(last, value, position, value.length, budget, endsWordAfter(last)) >= 0;
}

/** A budget large enough for any one match of bounded input: for callers that do not share one. */
export function unlimitedGlobBudget(): GlobBudget {
  return { remaining: Number.POSITIVE_INFINITY };
}

function withBudget(run: () => boolean): boolean {
  try {
    return run();
  } catch (error) {
    if (error instanceof BudgetSpent) return false;
    throw error;
  }
}

/** True when `glob` matches the whole folded `value`; false too once `budget` is spent. */
export function starGlobMatchesWhole(glob: StarGlob, value: Int32Array, budget: GlobBudget): boolean {
  return withBudget(() => wholeMatch(glob, value, budget));
}

/**
 * True when `glob` matches a substring of the folded `value` that starts and ends at a word boundary: the start
 * or end of the value, or next to a character outside `[A-Za-z0-9_]`. False too once `budget` is spent.
 * https://spec.matrix.org/v1.19/client-server-api/#conditions-1
 */
export function starGlobMatchesWords(glob: StarGlob, value: Int32Array, budget: GlobBudget): boolean {
  return withBudget(() => wordsMatch(glob, value, budget));
}

/**
 * A `*`-only pattern as filters use it for event types (`types`, `not_types`): case-sensitive, `?` literal.
 * Compiled to its literal pieces.
 * https://spec.matrix.org/v1.19/client-server-api/#filtering
 */
export type StarPattern = readonly string[];

export function compileStarPattern(pattern: string): StarPattern {
  return pattern.split('*');
}

/**
 * Whether a compiled `*`-only pattern matches the whole `value`: the first piece is a prefix, the last a suffix,
 * the middle ones are found left to right with `indexOf`. No backtracking, unlike a `.*` regular expression.
 */
export function starPatternMatches(pieces: StarPattern, value: string): boolean {
  const first = pieces[0] ?? '';
  if (pieces.length === 1) return first === value;
  const last = pieces[pieces.length - 1] ?? '';
  const end = value.length - last.length;
  if (end < first.length || !value.startsWith(first) || !value.endsWith(last)) return false;
  let position = first.length;
  for (let index = 1; index < pieces.length - 1; index += 1) {
    const piece = pieces[index] ?? '';
    const at = value.indexOf(piece, position);
    if (at < 0 || at + piece.length > end) return false;
    position = at + piece.length;
  }
  return true;
}
