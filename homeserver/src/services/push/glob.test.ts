import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob, compileLiteral, globMatchesWords, mayMatch } from './glob.js';

const text = (alphabet: string[]) => fc.array(fc.constantFrom(...alphabet), { maxLength: 12 }).map((chars) => chars.join(''));

describe('mayMatch', () => {
  it('never rejects what the matcher accepts (globs and literals)', () => {
    const letters = ['a', 'B', 'b', ' ', '-', 'İ', 'ß', '😀'];
    fc.assert(
      fc.property(text([...letters, '*', '?']), text(letters), (pattern, value) => {
        if (globMatchesWords(compileGlob(pattern), value)) expect(mayMatch(pattern, value, { literal: false })).toBe(true);
        if (globMatchesWords(compileLiteral(pattern), value)) expect(mayMatch(pattern, value, { literal: true })).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects a name that is not in the body', () => {
    expect(mayMatch('alice', 'hello bob', { literal: true })).toBe(false);
    expect(mayMatch('ALICE', 'hi alice', { literal: true })).toBe(true);
    expect(mayMatch('ca*ze', 'cheesecake', { literal: false })).toBe(false);
    expect(mayMatch('c?ke', 'anything', { literal: false })).toBe(true);
  });
});
