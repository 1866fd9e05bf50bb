import { describe, expect, it } from 'vitest';
import { checkJsonInput, parseCheckedJson, textDepthExceeds } from './json-input.js';
import { MatrixError } from './matrix-error.js';

const notJson = (): MatrixError => new MatrixError(400, 'M_NOT_JSON', 'not JSON');

/** What `fn` threw, as status, errcode and message. */
function refusal(fn: () => unknown): { status: number; errcode: string; message: string } | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof MatrixError) return { status: error.status, errcode: error.errcode, message: error.message };
    throw error;
  }
  return undefined;
}

describe('checkJsonInput', () => {
  it.each([
    ['a NUL in a value', { body: 'a\u0000b' }, /NUL.*at \/body$/],
    ['a NUL in a key', { content: { 'k\u0000': 1 } }, /NUL.*at \/content\/k\\u0000$/],
    ['a lone high surrogate', { body: ['x', '\ud800'] }, /lone UTF-16 surrogate at \/body\/1$/],
    ['a lone low surrogate in a key', { '\udc00': true }, /lone UTF-16 surrogate at \/\\udc00$/],
    ['nesting one level too deep', { a: { b: { c: {} } } }, /nested more than 3 levels deep at \/a\/b\/c$/],
  ])('refuses %s with 400 M_BAD_JSON naming the path', (_name, value, message) => {
    const refused = refusal(() => checkJsonInput(value, { maxDepth: 3 }));
    expect(refused).toMatchObject({ status: 400, errcode: 'M_BAD_JSON' });
    expect(refused?.message).toMatch(message);
  });

  it.each([
    ['floats and huge integers (not its business)', { a: 0.5, b: 1e20, c: 2 ** 60 }],
    ['astral characters (paired surrogates)', { '😀': '𝄞' }],
    ['exactly the allowed depth', { a: { b: [] } }],
    ['escaped control characters other than NUL', { a: '\u0001\n\t' }],
  ])('accepts %s', (_name, value) => {
    expect(refusal(() => checkJsonInput(value, { maxDepth: 3 }))).toBeUndefined();
  });

  it('uses the errcode asked for (query parameters)', () => {
    expect(refusal(() => checkJsonInput({ a: '\u0000' }, { maxDepth: 3, errcode: 'M_INVALID_PARAM' }))).toMatchObject({ errcode: 'M_INVALID_PARAM' });
  });
});

describe('textDepthExceeds', () => {
  it.each([
    ['[[[]]]', 3, false],
    ['[[[[]]]]', 3, true],
    ['{"a":{"b":{"c":{}}}}', 3, true],
    ['{"a":"[[[[[[[[[[","b":"{{{{{{{{"}', 1, false],
    ['{"a":"\\"[[[[["}', 1, false],
    ['[[],[],[],[]]', 2, false],
  ])('%s at max %d: %s', (text, max, expected) => {
    expect(textDepthExceeds(text, max)).toBe(expected);
  });
});

describe('parseCheckedJson', () => {
  it('refuses ten million levels before parsing them', () => {
    const text = '['.repeat(10_000_000) + ']'.repeat(10_000_000);
    expect(refusal(() => parseCheckedJson(text, { maxDepth: 64, notJson }))).toMatchObject({ status: 400, errcode: 'M_BAD_JSON' });
  });

  it('reports unparseable text with the caller’s error', () => {
    expect(refusal(() => parseCheckedJson('{"a":', { maxDepth: 64, notJson }))).toMatchObject({ errcode: 'M_NOT_JSON' });
  });

  it('refuses an escaped NUL (valid JSON) after parsing', () => {
    expect(refusal(() => parseCheckedJson('{"a":"\\u0000"}', { maxDepth: 64, notJson }))).toMatchObject({ errcode: 'M_BAD_JSON' });
  });

  it('returns the parsed value when it passes', () => {
    expect(parseCheckedJson('{"a":[1,0.5,"é"]}', { maxDepth: 64, notJson })).toEqual({ a: [1, 0.5, 'é'] });
  });
});
