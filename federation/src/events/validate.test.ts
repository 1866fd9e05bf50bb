import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { JsonObject, JsonValue } from '../json/canonical.js';
import { generateSigningKey } from '../crypto/keys.js';
import { signJson } from '../crypto/sign.js';
import { getRoomVersion } from '../room-versions/table.js';
import { buildEvent, type EventTemplate } from './build.js';
import type { Pdu } from './pdu.js';
import { redactEvent } from './redact.js';
import { MAX_PDU_BYTES, requiredSigningServers, validatePdu, verifyEventSignatures, type VerifyKeyLookup } from './validate.js';

const signer = { serverName: 'example.org', key: generateSigningKey('one') };
const other = { serverName: 'other.org', key: generateSigningKey('two') };
const keys = new Map([
  [`${signer.serverName} ${signer.key.keyId}`, signer.key.publicKey],
  [`${other.serverName} ${other.key.keyId}`, other.key.publicKey],
]);
const lookup: VerifyKeyLookup = (serverName, keyId) => keys.get(`${serverName} ${keyId}`);
const HASH_ROOM = '!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ';

function build(version: string, overrides: Partial<EventTemplate> = {}, by = signer): Pdu {
  const roomVersion = getRoomVersion(version);
  const template: EventTemplate = {
    type: 'm.room.message',
    room_id: roomVersion.roomIdIsCreateEventHash ? HASH_ROOM : '!room:example.org',
    sender: `@alice:${by.serverName}`,
    content: { body: 'hello' },
    prev_events: [],
    auth_events: [],
    depth: 3,
    origin_server_ts: 1_700_000_000_000,
    ...overrides,
  };
  return buildEvent({ roomVersion, signer: by, template }).pdu;
}

function reasonFor(json: unknown, version: string): string | undefined {
  const result = validatePdu(json, getRoomVersion(version));
  return result.ok ? undefined : result.reason;
}

const without = (pdu: Pdu, key: string): JsonObject => {
  const copy = { ...pdu } as JsonObject;
  delete copy[key];
  return copy;
};

describe('validatePdu: required fields and types', () => {
  it('rejects non-objects', () => {
    expect(reasonFor([], '10')).toMatch(/object/);
    expect(reasonFor('x', '10')).toMatch(/object/);
  });

  it.each(['type', 'sender', 'content', 'depth', 'origin_server_ts', 'hashes', 'signatures', 'prev_events', 'auth_events', 'room_id'])(
    'requires %s',
    (key) => {
      for (const version of ['1', '3', '6', '11', '12']) expect(reasonFor(without(build(version), key), version)).toBeDefined();
    },
  );

  it('requires event_id in v1/v2 only', () => {
    expect(reasonFor(without(build('1'), 'event_id'), '1')).toBe('missing event_id');
    expect(reasonFor(build('3'), '3')).toBeUndefined();
  });

  it.each([
    ['type', 5],
    ['state_key', 5],
    ['content', 'x'],
    ['depth', '3'],
    ['depth', 1.5],
    ['depth', -1],
    ['origin_server_ts', '1'],
    ['hashes', { sha256: 5 }],
    ['signatures', { 'example.org': 'x' }],
    ['unsigned', []],
    ['redacts', 5],
    ['origin', 'bad host'],
    ['sender', 'alice'],
    ['room_id', 'room'],
  ] as Array<[string, JsonValue]>)('rejects %s = %j', (key, value) => {
    expect(reasonFor({ ...build('10'), [key]: value }, '10')).toBeDefined();
  });

  it('accepts historical sender localparts', () => {
    const pdu = build('10', { sender: '@Alice Smith:example.org' });
    expect(reasonFor(pdu, '10')).toBeUndefined();
  });
});

describe('validatePdu: edges per room version', () => {
  it('v1/v2 edges are [event_id, hashes] pairs', () => {
    const pair = ['$a:example.org', { sha256: 'abc' }];
    expect(reasonFor({ ...build('1'), prev_events: [pair] }, '1')).toBeUndefined();
    expect(reasonFor({ ...build('1'), prev_events: ['$a:example.org'] }, '1')).toMatch(/prev_events/);
    expect(reasonFor({ ...build('1'), auth_events: [['$a:example.org']] }, '1')).toMatch(/auth_events/);
  });

  it('v3+ edges are event IDs in the version format', () => {
    const v4Id = '$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg';
    expect(reasonFor({ ...build('4'), prev_events: [v4Id] }, '4')).toBeUndefined();
    expect(reasonFor({ ...build('4'), prev_events: ['$a:example.org'] }, '4')).toMatch(/prev_events/);
    expect(reasonFor({ ...build('3'), prev_events: [v4Id] }, '3')).toMatch(/prev_events/);
  });

  it('limits auth_events to 10 and prev_events to 20', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `$${String(i).padStart(42, 'A')}A`);
    expect(reasonFor({ ...build('10'), auth_events: ids(10), prev_events: ids(20) }, '10')).toBeUndefined();
    expect(reasonFor({ ...build('10'), auth_events: ids(11) }, '10')).toMatch(/more than 10/);
    expect(reasonFor({ ...build('10'), prev_events: ids(21) }, '10')).toMatch(/more than 20/);
  });
});

describe('validatePdu: room IDs', () => {
  it('v12 create events have no room_id; other v12 events need a hash room ID', () => {
    const create = build('12', { type: 'm.room.create', state_key: '', content: {}, room_id: undefined });
    expect(reasonFor(create, '12')).toBeUndefined();
    expect(reasonFor({ ...build('12'), room_id: '!room:example.org' }, '12')).toMatch(/room_id/);
    expect(reasonFor({ ...build('11'), room_id: HASH_ROOM }, '11')).toMatch(/room_id/);
  });
});

describe('validatePdu: size limits', () => {
  it('limits type, state_key, sender, room_id and event_id to 255 bytes', () => {
    expect(reasonFor({ ...build('10'), type: 'a'.repeat(255) }, '10')).toBeUndefined();
    expect(reasonFor({ ...build('10'), type: 'a'.repeat(256) }, '10')).toMatch(/type exceeds/);
    expect(reasonFor({ ...build('10'), state_key: 'é'.repeat(128) }, '10')).toMatch(/state_key exceeds/);
    expect(reasonFor({ ...build('10'), sender: `@${'a'.repeat(243)}:example.org` }, '10')).toMatch(/sender/);
    expect(reasonFor({ ...build('10'), room_id: `!${'a'.repeat(243)}:example.org` }, '10')).toMatch(/room_id/);
    expect(reasonFor({ ...build('1'), event_id: `$${'a'.repeat(243)}:example.org` }, '1')).toMatch(/event_id/);
  });

  it('limits the canonical event, signatures included, to 65536 bytes', () => {
    const pdu = build('10');
    const base = Buffer.byteLength(JSON.stringify({ ...pdu, content: { body: '' } }));
    const fits = { ...pdu, content: { body: 'x'.repeat(MAX_PDU_BYTES - base) } };
    expect(reasonFor(fits, '10')).toBeUndefined();
    expect(reasonFor({ ...fits, content: { body: 'x'.repeat(MAX_PDU_BYTES - base + 1) } }, '10')).toMatch(/65536-byte/);
  });
});

describe('validatePdu: canonical JSON', () => {
  it('rejects floats in every room version', () => {
    for (const version of ['1', '5', '6', '12']) expect(reasonFor({ ...build(version), content: { n: 1.5 } }, version)).toMatch(/canonical/);
  });

  it('rejects out-of-range integers from v6, tolerates them before', () => {
    expect(reasonFor({ ...build('5'), content: { n: 2 ** 53 } }, '5')).toBeUndefined();
    expect(reasonFor({ ...build('6'), content: { n: 2 ** 53 } }, '6')).toMatch(/canonical/);
    expect(reasonFor({ ...build('6'), depth: 2 ** 53 }, '6')).toMatch(/canonical/);
  });
});

describe('requiredSigningServers', () => {
  it('is the sender server, plus the event_id server in v1/v2', () => {
    expect(requiredSigningServers(build('3'), getRoomVersion('3'))).toStrictEqual(['example.org']);
    const v1 = { ...build('1'), event_id: '$abc:other.org' };
    expect(requiredSigningServers(v1, getRoomVersion('1'))).toStrictEqual(['example.org', 'other.org']);
  });

  it('adds the authorising server of a restricted join from v8', () => {
    const join = (version: string) =>
      build(version, { type: 'm.room.member', state_key: '@alice:example.org', content: { membership: 'join', join_authorised_via_users_server: '@admin:other.org' } });
    expect(requiredSigningServers(join('8'), getRoomVersion('8'))).toStrictEqual(['example.org', 'other.org']);
    expect(requiredSigningServers(join('7'), getRoomVersion('7'))).toStrictEqual(['example.org']);
  });
});

describe('verifyEventSignatures', () => {
  it('accepts a correctly signed event', () => {
    expect(verifyEventSignatures(build('10'), getRoomVersion('10'), lookup)).toStrictEqual({ ok: true, verifiedServers: ['example.org'], contentHash: 'valid' });
  });

  it('fails without a signature from the sender server', () => {
    const pdu = { ...build('10'), signatures: {} };
    expect(verifyEventSignatures(pdu, getRoomVersion('10'), lookup)).toMatchObject({ ok: false, serverName: 'example.org', reason: 'no ed25519 signature' });
  });

  it('fails when no key of the signer is known', () => {
    const pdu = build('10', {}, { serverName: 'example.org', key: generateSigningKey('unknown') });
    expect(verifyEventSignatures(pdu, getRoomVersion('10'), lookup)).toMatchObject({ ok: false, reason: 'no known, unexpired key' });
  });

  it('skips unknown keys when a known one verifies', () => {
    const pdu = build('10');
    const extra = { ...pdu, signatures: { 'example.org': { ...pdu.signatures['example.org'], 'ed25519:gone': 'AAAA' } } };
    expect(verifyEventSignatures(extra, getRoomVersion('10'), lookup).ok).toBe(true);
  });

  it('fails on a bad signature from a known key', () => {
    const pdu = build('10');
    const forged = { ...pdu, signatures: { 'example.org': { [signer.key.keyId]: build('10', { depth: 4 }).signatures['example.org']?.[signer.key.keyId] as string } } };
    expect(verifyEventSignatures(forged, getRoomVersion('10'), lookup)).toMatchObject({ ok: false, reason: `bad-signature with ${signer.key.keyId}` });
  });

  it('reports a content hash mismatch with the redacted event to use instead', () => {
    const pdu = { ...build('10'), content: { body: 'changed' } };
    const result = verifyEventSignatures(pdu, getRoomVersion('10'), lookup);
    expect(result).toMatchObject({ ok: true, contentHash: 'mismatch' });
    expect(result.ok && result.redacted?.content).toStrictEqual({});
  });

  it('v1/v2 need the event_id server signature too', () => {
    const roomVersion = getRoomVersion('1');
    const pdu = buildEvent({
      roomVersion,
      signer,
      eventId: '$abc:other.org',
      template: { type: 'm.room.message', room_id: '!r:example.org', sender: '@a:example.org', content: {}, prev_events: [], auth_events: [], depth: 1, origin_server_ts: 1 },
    }).pdu;
    expect(verifyEventSignatures(pdu, roomVersion, lookup)).toMatchObject({ ok: false, serverName: 'other.org' });
    const cosigned = signJson(redactEvent(pdu as JsonObject, roomVersion), 'other.org', other.key);
    const both = { ...pdu, signatures: cosigned.signatures as Pdu['signatures'] };
    expect(verifyEventSignatures(both, roomVersion, lookup)).toStrictEqual({ ok: true, verifiedServers: ['example.org', 'other.org'], contentHash: 'valid' });
  });

  it('restricted joins need the authorising server signature (v8+)', () => {
    const roomVersion = getRoomVersion('9');
    const pdu = build('9', { type: 'm.room.member', state_key: '@alice:example.org', content: { membership: 'join', join_authorised_via_users_server: '@admin:other.org' } });
    expect(verifyEventSignatures(pdu, roomVersion, lookup)).toMatchObject({ ok: false, serverName: 'other.org' });
  });

  it('ignores keys that expired before the event (v5+ also enforce valid_until_ts)', () => {
    const pdu = build('5');
    const ts = pdu.origin_server_ts;
    const info = (extra: object): VerifyKeyLookup => (serverName, keyId) =>
      serverName === 'example.org' && keyId === signer.key.keyId ? { publicKey: signer.key.publicKey, ...extra } : undefined;
    expect(verifyEventSignatures(pdu, getRoomVersion('5'), info({ validUntilTs: ts })).ok).toBe(true);
    expect(verifyEventSignatures(pdu, getRoomVersion('5'), info({ validUntilTs: ts - 1 })).ok).toBe(false);
    expect(verifyEventSignatures(build('4'), getRoomVersion('4'), info({ validUntilTs: ts - 1 })).ok).toBe(true);
    expect(verifyEventSignatures(build('4'), getRoomVersion('4'), info({ expiredTs: ts - 1 })).ok).toBe(false);
  });
});

describe('verifyEventSignatures properties', () => {
  const pdu = build('11', { type: 'm.room.member', state_key: '@alice:example.org', content: { membership: 'join', displayname: 'Alice' } });
  const roomVersion = getRoomVersion('11');

  it('changing unprotected content keeps the signature but fails the content hash', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((s) => s !== 'membership'), fc.jsonValue() as fc.Arbitrary<JsonValue>, (key, value) => {
        const changed = { ...pdu, content: { ...pdu.content, [key]: value } };
        fc.pre(JSON.stringify(changed.content) !== JSON.stringify(pdu.content));
        // Even content canonical JSON cannot encode (floats) only breaks the hash, not the redacted signature.
        expect(verifyEventSignatures(changed, roomVersion, lookup)).toMatchObject({ ok: true, contentHash: 'mismatch' });
      }),
      { numRuns: 1000 },
    );
  });

  it('changing a protected field fails the signature', () => {
    fc.assert(
      fc.property(fc.constantFrom('depth', 'origin_server_ts', 'sender', 'type', 'state_key', 'membership', 'room_id', 'hashes'), fc.nat(), (field, n) => {
        const changed: Pdu =
          field === 'membership'
            ? { ...pdu, content: { ...pdu.content, membership: `leave${n}` } }
            : field === 'hashes'
              ? { ...pdu, hashes: { sha256: `x${n}` } }
              : field === 'depth' || field === 'origin_server_ts'
                ? { ...pdu, [field]: (pdu[field] as number) + n + 1 }
                : field === 'sender'
                  ? { ...pdu, sender: `@bob${n}:example.org` }
                  : { ...pdu, [field]: `${String(pdu[field])}${n}` };
        expect(verifyEventSignatures(changed, roomVersion, lookup)).toMatchObject({ ok: false });
      }),
      { numRuns: 1000 },
    );
  });
});
