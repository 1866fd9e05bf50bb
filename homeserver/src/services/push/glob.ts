/**
 * Glob matching for push rules, as a linear automaton rather than a regular expression: patterns come from
 * users and bodies can be 64 KiB, and a backtracking regex on `*a*a*a*b` would let one rule stall the server.
 * Cost is O(value length × pattern length) whatever the input.
 * https://spec.matrix.org/v1.19/appendices/#glob-style-matching
 */

/** A compiled pattern: literal code points and the two wildcards. */
type Token = { wildcard: '*' | '?' } | { literal: string };

/** The characters that are not word boundaries: `[A-Z]`, `[a-z]`, `[0-9]` and `_`. */
const WORD_CHARACTER = /^[A-Za-z0-9_]$/;

function isWordCharacter(char: string): boolean {
  return WORD_CHARACTER.test(char);
}

/**
 * "Case insensitive" is implementation-defined; we compare the full Unicode lower case of both sides,
 * code point by code point.
 */
function fold(value: string): readonly string[] {
  // One event is matched against every member's rules: the same few values are folded over and over.
  if (value !== lastFolded.value) lastFolded = { value, chars: Array.from(value.toLowerCase()) };
  return lastFolded.chars;
}
let lastFolded: { value: string; chars: readonly string[] } = { value: '', chars: [] };

/** Compiled patterns by source: every user has the same default rules. */
const compiled = new Map<string, Token[]>();
const MAX_COMPILED = 1000;

/** Compiles a glob: `*` is zero or more characters, `?` exactly one, everything else literal. */
export function compileGlob(pattern: string): readonly Token[] {
  let tokens = compiled.get(pattern);
  if (tokens === undefined) {
    tokens = fold(pattern).map((char): Token => (char === '*' || char === '?' ? { wildcard: char } : { literal: char }));
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(pattern, tokens);
  }
  return tokens;
}

/** Compiles a literal string (a display name) to match with the same machinery, wildcards and all literal. */
export function compileLiteral(text: string): readonly Token[] {
  return fold(text).map((char) => ({ literal: char }));
}

/** Adds state `index` and, through `*` (which may match nothing), every state it reaches for free. */
function addState(states: Uint8Array, tokens: readonly Token[], index: number): void {
  let at = index;
  while (at <= tokens.length && states[at] === 0) {
    states[at] = 1;
    const token = tokens[at];
    if (token === undefined || !('wildcard' in token) || token.wildcard !== '*') break;
    at += 1;
  }
}

/** The states reached from `states` by reading `char`. */
function step(states: Uint8Array, tokens: readonly Token[], char: string): Uint8Array {
  const next = new Uint8Array(tokens.length + 1);
  for (let index = 0; index < tokens.length; index += 1) {
    if (states[index] === 0) continue;
    const token = tokens[index] as Token;
    if ('literal' in token) {
      if (token.literal === char) addState(next, tokens, index + 1);
    } else if (token.wildcard === '?') {
      addState(next, tokens, index + 1);
    } else {
      addState(next, tokens, index);
    }
  }
  return next;
}

function hasAny(states: Uint8Array): boolean {
  return states.some((state) => state === 1);
}

/** True when the glob matches the entire `value`, case-insensitively. */
export function globMatchesWhole(tokens: readonly Token[], value: string): boolean {
  let states: Uint8Array = new Uint8Array(tokens.length + 1);
  addState(states, tokens, 0);
  for (const char of fold(value)) {
    states = step(states, tokens, char);
    if (!hasAny(states)) return false;
  }
  return states[tokens.length] === 1;
}

/**
 * True when the glob matches some substring of `value` that starts and ends at a word boundary: the start
 * or end of the value, or next to a character outside `[A-Za-z0-9_]`. Used for `content.body`, content rules
 * and display names.
 * https://spec.matrix.org/v1.19/client-server-api/#conditions-1
 */
export function globMatchesWords(tokens: readonly Token[], value: string): boolean {
  const chars = fold(value);
  const accept = tokens.length;
  let states: Uint8Array = new Uint8Array(tokens.length + 1);
  for (let position = 0; position <= chars.length; position += 1) {
    // A match may start here when the previous character ends a word (or there is none).
    const previous = chars[position - 1];
    if (previous === undefined || !isWordCharacter(previous)) addState(states, tokens, 0);
    // ...and may end here when the next character starts no word (or there is none).
    const current = chars[position];
    if (states[accept] === 1 && (current === undefined || !isWordCharacter(current))) return true;
    if (current === undefined) break;
    states = step(states, tokens, current);
  }
  return false;
}
