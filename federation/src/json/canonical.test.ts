import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import vectors from '../test-vectors/canonical-json.json' with { type: 'json' };
import { CanonicalJsonError, canonicalJson, canonicalJsonBytes, compareCodePoints, type JsonValue } from './canonical.js';

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
