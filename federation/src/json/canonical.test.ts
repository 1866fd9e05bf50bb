import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import vectors from '../test-vectors/canonical-json.json' with { type: 'json' };
import {
  CanonicalJsonError,
  MAX_CANONICAL_DEPTH,
  canonicalJson,
  canonicalJsonBytes,
  compareCodePoints,
  findNonCanonical,
  type JsonValue,
} from './canonical.js';
import { hasLoneSurrogate } from './walk.js';

/** Arbitrary canonical-JSON values: safe integers only, any strings (including astral characters) as keys. */
const jsonKey = fc.string({ unit: 'grapheme', maxLength: 6 });
const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(jsonKey, tie('value'), { maxKeys: 5, noNullPrototype: true }),
  ),
})).value;

function reorderKeys(value: JsonValue, order: (keys: string[]) => string[]): JsonValue {
  if (Array.isArray(value)) return value.map((item) => reorderKeys(item, order));
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, JsonValue> = {};
  for (const key of order(Object.keys(value))) result[key] = reorderKeys(value[key] as JsonValue, order);
  return result;
}

describe('canonicalJson: spec examples (appendices, Canonical JSON)', () => {
  it.each(vectors.examples)('$name', ({ input, canonical }) => {
    expect(canonicalJson(JSON.parse(input))).toBe(canonical);
    expect(canonicalJsonBytes(JSON.parse(input)).equals(Buffer.from(canonical, 'utf8'))).toBe(true);
  });
});

describe('canonicalJson: key ordering by code point', () => {
  it.each(vectors.keyOrdering)('$name', ({ input, canonical }) => {
    expect(canonicalJson(JSON.parse(input))).toBe(canonical);
  });

  it('compareCodePoints orders U+FFFF before U+10000, unlike UTF-16 comparison', () => {
    expect(compareCodePoints('\uffff', '\u{10000}')).toBeLessThan(0);
    expect('\uffff' < '\u{10000}').toBe(false);
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
    expect(compareCodePoints('\u{1F600}', '\u{1F600}')).toBe(0);
  });

  it('code point order equals UTF-8 byte order for any pair of strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const byCodePoint = Math.sign(compareCodePoints(a, b));
        const byBytes = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
        expect(byCodePoint).toBe(byBytes);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('canonicalJson: string escaping', () => {
  it.each(vectors.escaping)('$name', ({ input, canonical }) => {
    expect(canonicalJson(JSON.parse(input))).toBe(canonical);
  });
});

describe('canonicalJson: numbers', () => {
  it.each(vectors.numbers.accepted)('accepts $name', ({ input, canonical }) => {
    expect(canonicalJson(JSON.parse(input))).toBe(canonical);
  });

  it.each(vectors.numbers.rejected)('rejects $name', ({ input }) => {
    expect(() => canonicalJson(JSON.parse(input))).toThrow(CanonicalJsonError);
  });

  it.each(vectors.numbers.lenientRoomVersions.accepted)('v1-v5 encode $name', ({ input, canonical }) => {
    expect(canonicalJson(JSON.parse(input), { strictIntegerRange: false })).toBe(canonical);
  });

  it.each(vectors.numbers.lenientRoomVersions.rejected)('v1-v5 still reject a $name', ({ input }) => {
    expect(() => canonicalJson(JSON.parse(input), { strictIntegerRange: false })).toThrow(CanonicalJsonError);
  });

  it('reports where the bad value is', () => {
    expect(() => canonicalJson({ a: { b: [1, 0.5] } })).toThrow('at /a/b/1');
  });

  it('rejects values JSON cannot carry', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: Infinity })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: 1n })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: new Date(0) })).toThrow(CanonicalJsonError);
  });
});

describe('canonicalJson: properties', () => {
  it('is invariant under any permutation of object keys', () => {
    fc.assert(
      fc.property(jsonValue, fc.integer(), (value, seed) => {
        const shuffled = reorderKeys(value, (keys) => shuffle(keys, seed));
        expect(canonicalJson(shuffled)).toBe(canonicalJson(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('parses back to the same value', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        expect(JSON.parse(canonicalJson(value))).toStrictEqual(normaliseNegativeZero(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('is a fixed point: encoding the parsed output gives the same text', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });
});

/** Deterministic Fisher-Yates shuffle driven by a seed (a tiny LCG), so failures reproduce. */
function shuffle<T>(items: T[], seed: number): T[] {
  const result = [...items];
  let state = seed >>> 0;
  for (let i = result.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}

function normaliseNegativeZero(value: JsonValue): JsonValue {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(normaliseNegativeZero);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normaliseNegativeZero(item as JsonValue)]));
}

/** `[[[…]]]` nested `depth` levels, built without recursion. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

describe('findNonCanonical', () => {
  it.each([
    ['a float', { a: { b: [1, 0.5] } }, 'float', '/a/b/1'],
    ['1e20', { users_default: 1e20 }, 'integer_out_of_range', '/users_default'],
    ['2**60', { n: 2 ** 60 }, 'integer_out_of_range', '/n'],
    ['-(2**53)', { n: -(2 ** 53) }, 'integer_out_of_range', '/n'],
    ['NaN', { n: Number.NaN }, 'float', '/n'],
    ['a lone high surrogate in a value', { body: 'a\ud800b' }, 'lone_surrogate', '/body'],
    ['a lone low surrogate in a value', { body: ['\udc00'] }, 'lone_surrogate', '/body/0'],
    ['a lone surrogate in a key', { c: { 'k\ud800': 1 } }, 'lone_surrogate', '/c/k\\ud800'],
    ['a reversed pair', { s: '\udc00\ud800' }, 'lone_surrogate', '/s'],
    ['a Date', { d: new Date(0) }, 'unsupported_type', '/d'],
    ['a bigint', { d: 1n }, 'unsupported_type', '/d'],
    ['a key with a slash and tilde', { 'a/~b': 0.1 }, 'float', '/a~1~0b'],
  ])('finds %s', (_name, value, kind, path) => {
    expect(findNonCanonical(value)).toMatchObject({ kind, path });
  });

  it.each([
    ['safe integers at both ends', { a: 2 ** 53 - 1, b: -(2 ** 53) + 1 }],
    ['paired surrogates (astral characters)', { '😀': '𝄞 music' }],
    ['NUL, which canonical JSON allows', { a: '\u0000' }],
    ['members set to undefined, which are absent', { a: undefined, b: 1 }],
    ['512 levels of nesting', nested(MAX_CANONICAL_DEPTH)],
  ])('accepts %s', (_name, value) => {
    expect(findNonCanonical(value)).toBeUndefined();
  });

  it('lets v1-v5 rooms carry big integers but never floats', () => {
    expect(findNonCanonical({ n: 2 ** 60 }, { strictIntegerRange: false })).toBeUndefined();
    expect(findNonCanonical({ n: 0.5 }, { strictIntegerRange: false })).toMatchObject({ kind: 'float' });
  });

  it('refuses nesting beyond the bound, without overflowing the stack even at a million levels', () => {
    expect(findNonCanonical(nested(MAX_CANONICAL_DEPTH + 1))).toMatchObject({ kind: 'too_deep' });
    expect(findNonCanonical(nested(1_000_000))).toMatchObject({ kind: 'too_deep' });
  });

  it('agrees with canonicalJson on every random value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const problem = findNonCanonical(value);
        if (problem) expect(() => canonicalJson(value)).toThrow(CanonicalJsonError);
        else expect(() => canonicalJson(value)).not.toThrow();
      }),
    );
  });
});

describe('canonicalJson: refusals instead of crashes', () => {
  it('refuses lone surrogates, which have no UTF-8 encoding (another server would hash something else)', () => {
    expect(() => canonicalJson({ body: '\ud800' })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ '\udfff': 1 })).toThrow(CanonicalJsonError);
    expect(canonicalJson({ body: '😀' })).toBe('{"body":"😀"}');
  });

  it('refuses deep nesting with a CanonicalJsonError, not a stack overflow', () => {
    expect(canonicalJson(nested(MAX_CANONICAL_DEPTH))).toContain('1');
    let error: unknown;
    try {
      canonicalJson(nested(10_000));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CanonicalJsonError);
    expect((error as CanonicalJsonError).problem.kind).toBe('too_deep');
  });

  it('carries the problem and a path that never echoes a NUL or a lone surrogate', () => {
    let error: unknown;
    try {
      canonicalJson({ 'x\u0000y': { '\ud800': 1 } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CanonicalJsonError);
    const { problem } = error as CanonicalJsonError;
    expect(problem).toMatchObject({ kind: 'lone_surrogate', path: '/x\\u0000y/\\ud800' });
    expect(problem.message.includes('\u0000')).toBe(false);
    expect(hasLoneSurrogate(problem.message)).toBe(false);
  });
});
