import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import vectors from '../test-vectors/redaction.json' with { type: 'json' };
import type { JsonObject } from '../json/canonical.js';
import { ROOM_VERSIONS, type RedactionAlgorithm } from '../room-versions/table.js';
import { redactEvent } from './redact.js';

const byVersion = vectors.algorithmByRoomVersion as Record<string, RedactionAlgorithm>;

describe('redaction algorithm per room version', () => {
  it('maps each room version to the algorithm the spec gives it', () => {
    for (const version of ROOM_VERSIONS.values()) expect(version.redaction).toBe(byVersion[version.id]);
  });

  for (const testCase of vectors.cases) {
    describe(testCase.name, () => {
      it.each([...ROOM_VERSIONS.keys()])('room version %s', (id) => {
        const version = ROOM_VERSIONS.get(id);
        if (!version) throw new Error(`no room version ${id}`);
        const expected = (testCase.expected as unknown as Record<RedactionAlgorithm, JsonObject>)[version.redaction];
        expect(redactEvent(testCase.input as unknown as JsonObject, version)).toStrictEqual(expected);
      });
    });
  }
});

describe('redactEvent properties', () => {
  const event = fc.record({
    type: fc.constantFrom('m.room.member', 'm.room.create', 'm.room.power_levels', 'm.room.join_rules', 'm.room.redaction', 'm.room.message', 'm.room.aliases'),
    sender: fc.constant('@u:example.org'),
    origin: fc.constant('example.org'),
    content: fc.dictionary(fc.constantFrom('membership', 'creator', 'allow', 'invite', 'ban', 'redacts', 'body', 'aliases', 'third_party_invite', 'join_rule'), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonObject[string]>, { noNullPrototype: true }),
    unsigned: fc.constant({ age: 1 }),
    extra: fc.string(),
  }, { noNullPrototype: true });

  it('is idempotent and never mutates its input, in every room version', () => {
    fc.assert(
      fc.property(event, fc.constantFrom(...ROOM_VERSIONS.values()), (input, version) => {
        const frozen = structuredClone(input) as JsonObject;
        const once = redactEvent(frozen, version);
        expect(redactEvent(once, version)).toStrictEqual(once);
        expect(frozen).toStrictEqual(input);
        expect(once.unsigned).toBeUndefined();
        expect(once.extra).toBeUndefined();
        expect('origin' in once).toBe(version.keepsOriginOnRedaction);
      }),
      { numRuns: 1000 },
    );
  });
});
