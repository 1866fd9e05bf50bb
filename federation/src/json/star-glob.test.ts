import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileLiteralGlob,
  compileStarGlob,
  compileStarPattern,
  foldForGlob,
  starPatternMatches,
  starGlobMatchesWhole,
  starGlobMatchesWords,
  unlimitedGlobBudget,
  type GlobBudget,
} from './star-glob.js';

/** The obvious quadratic reference: dynamic programming over (pattern, value) code points. */
function referenceWhole(pattern: readonly string[], value: readonly string[]): boolean {
  let row = new Array<boolean>(value.length + 1).fill(false);
  row[0] = true;
  for (const token of pattern) {
    const next = new Array<boolean>(value.length + 1).fill(false);
    for (let at = 0; at <= value.length; at += 1) {
      if (token === '*') next[at] = row[at] === true || (at > 0 && next[at - 1] === true);
      else if (at > 0 && row[at - 1] === true && (token === '?' || token === value[at - 1])) next[at] = true;
    }
    row = next;
  }
  return row[value.length] === true;
}

const WORD = /^[A-Za-z0-9_]$/;

function referenceWords(pattern: readonly string[], value: readonly string[]): boolean {
  for (let start = 0; start <= value.length; start += 1) {
    if (start > 0 && WORD.test(value[start - 1] as string)) continue;
    for (let end = start; end <= value.length; end += 1) {
      if (end < value.length && WORD.test(value[end] as string)) continue;
      if (referenceWhole(pattern, value.slice(start, end))) return true;
    }
  }
  return false;
}

const chars = (text: string): string[] => Array.from(text.toLowerCase());
const whole = (pattern: string, value: string, budget: GlobBudget = unlimitedGlobBudget()): boolean =>
  starGlobMatchesWhole(compileStarGlob(pattern), foldForGlob(value), budget);
const words = (pattern: string, value: string, budget: GlobBudget = unlimitedGlobBudget()): boolean =>
  starGlobMatchesWords(compileStarGlob(pattern), foldForGlob(value), budget);

describe('star glob', () => {
  const alphabet = fc.constantFrom('a', 'b', 'A', ' ', '-', '_', 'ä', '😀');
  const patternUnit = fc.oneof(alphabet, fc.constantFrom('*', '?'));
  const value = fc.array(alphabet, { maxLength: 12 }).map((parts) => parts.join(''));
  const pattern = fc.array(patternUnit, { maxLength: 7 }).map((parts) => parts.join(''));

  it('agrees with the quadratic reference on whole-value matching', () => {
    fc.assert(
      fc.property(pattern, value, (p, v) => whole(p, v) === referenceWhole(chars(p), chars(v))),
      { numRuns: 3000 },
    );
  });

  it('agrees with the quadratic reference on word-boundary matching', () => {
    fc.assert(
      fc.property(pattern, value, (p, v) => words(p, v) === referenceWords(chars(p), chars(v))),
      { numRuns: 3000 },
    );
  });

  it('matches the spec examples', () => {
    expect(whole('lunc?*', 'LUNCH')).toBe(true);
    expect(whole('???', 'äöü')).toBe(true);
    expect(whole('?', '😀')).toBe(true);
    expect(words('ex*ple', 'An exciting triple-whammy')).toBe(true);
    expect(words('ex*ple', 'examples')).toBe(false);
  });

  it('treats wildcards of a literal text as plain characters', () => {
    const name = compileLiteralGlob('Al*ce?');
    expect(starGlobMatchesWords(name, foldForGlob('hi al*ce?!'), unlimitedGlobBudget())).toBe(true);
    expect(starGlobMatchesWords(name, foldForGlob('hi alice!'), unlimitedGlobBudget())).toBe(false);
  });

  it('costs work linear in the input on the "*a" × n + "b" pattern', () => {
    const budget: GlobBudget = { remaining: 1_000_000 };
    expect(words(`${'*a'.repeat(5_000)}b`, 'a'.repeat(65_536), budget)).toBe(false);
    expect(whole(`${'*a'.repeat(5_000)}b`, 'a'.repeat(65_536), budget)).toBe(false);
    // Both together: at most a few passes over the 64 Ki-character value, far below 5 000 × 65 536.
    expect(1_000_000 - budget.remaining).toBeLessThan(4 * 70_000);
  });

  it('stops with "no match" once the budget is spent', () => {
    const budget: GlobBudget = { remaining: 100 };
    expect(words('b', `${'a '.repeat(1_000)}b`, budget)).toBe(false);
    expect(budget.remaining).toBeLessThan(0);
    expect(words('b', `${'a '.repeat(1_000)}b`)).toBe(true);
  });
});

describe('star pattern (filter types)', () => {
  const matches = (pattern: string, value: string): boolean => starPatternMatches(compileStarPattern(pattern), value);

  it('agrees with an anchored regular expression on small inputs', () => {
    const unit = fc.constantFrom('a', 'b', '.', '?');
    fc.assert(
      fc.property(fc.array(fc.oneof(unit, fc.constant('*')), { maxLength: 6 }), fc.array(unit, { maxLength: 10 }), (p, v) => {
        const source = p.map((char) => (char === '*' ? '.*' : char.replace(/[.?]/g, '\\$&'))).join('');
        return matches(p.join(''), v.join('')) === new RegExp(`^${source}$`, 's').test(v.join(''));
      }),
      { numRuns: 3000 },
    );
  });

  it('is case-sensitive and takes ? literally', () => {
    expect(matches('m.room.*', 'm.room.message')).toBe(true);
    expect(matches('m.room.*', 'M.room.message')).toBe(false);
    expect(matches('m.?', 'm.x')).toBe(false);
  });

  it('answers where a regular expression would backtrack for ever (a hang fails the test by its timeout)', () => {
    expect(matches(`${'*a'.repeat(20_000)}*b`, 'a'.repeat(255))).toBe(false);
    expect(matches(`${'*a'.repeat(100)}*b`, `${'a'.repeat(200)}b`)).toBe(true);
  });
});
