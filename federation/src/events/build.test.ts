import { describe, expect, it } from 'vitest';
import vectors from '../test-vectors/signing.json' with { type: 'json' };
import { canonicalJson, type JsonObject } from '../json/canonical.js';
import { decodeBase64 } from '../crypto/base64.js';
import { generateSigningKey, signingKeyFromSeed } from '../crypto/keys.js';
import { isValidEventId } from '../ids/event-id.js';
import { isValidRoomId } from '../ids/room-id.js';
import { ROOM_VERSIONS, getRoomVersion } from '../room-versions/table.js';
import { buildEvent, hashAndSignEvent, referenceHashOf, type EventTemplate } from './build.js';
import { validatePdu, verifyEventSignatures } from './validate.js';

const specKey = signingKeyFromSeed(decodeBase64(vectors.signingKey.seed), vectors.signingKey.keyVersion);
const specSigner = { serverName: vectors.signingKey.serverName, key: specKey };

describe('hashAndSignEvent reproduces the spec event signing vectors', () => {
  for (const vector of vectors.eventSigning) {
    it.each(vector.roomVersions)(`${vector.name}, room version %s`, (id) => {
      const signed = hashAndSignEvent(JSON.parse(vector.input) as JsonObject, getRoomVersion(id), specSigner);
      expect(canonicalJson(signed)).toBe(canonicalJson(JSON.parse(vector.signed)));
    });
  }

  for (const [index, vector] of vectors.derivedV11.entries()) {
    it.each(vector.roomVersions)(`${vector.name}, room version %s`, (id) => {
      const input = JSON.parse(vectors.eventSigning[index]?.input as string) as JsonObject;
      const signed = hashAndSignEvent(input, getRoomVersion(id), specSigner);
      expect(signed.hashes).toStrictEqual({ sha256: vector.contentHash });
      expect(signed.signatures).toStrictEqual({ domain: { 'ed25519:1': vector.signature } });
      expect(signed.unsigned).toStrictEqual({ age_ts: 1000000 });
    });
  }
});

const signer = { serverName: 'example.org', key: generateSigningKey('test') };
const lookup = (serverName: string, keyId: string) =>
  serverName === signer.serverName && keyId === signer.key.keyId ? signer.key.publicKey : undefined;

function template(overrides: Partial<EventTemplate> = {}): EventTemplate {
  return {
    type: 'm.room.message',
    room_id: '!room:example.org',
    sender: '@alice:example.org',
    content: { body: 'hello', msgtype: 'm.text' },
    prev_events: [],
    auth_events: [],
    depth: 3,
    origin_server_ts: 1_700_000_000_000,
    ...overrides,
  };
}

describe('buildEvent', () => {
  it.each([...ROOM_VERSIONS.keys()])('room version %s: builds an event that validates and verifies', (id) => {
    const roomVersion = getRoomVersion(id);
    const roomId = roomVersion.roomIdIsCreateEventHash ? '!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ' : '!room:example.org';
    const { eventId, pdu } = buildEvent({ roomVersion, signer, template: template({ room_id: roomId }) });
    expect(isValidEventId(eventId, { roomVersion })).toBe(true);
    const validation = validatePdu(JSON.parse(JSON.stringify(pdu)), roomVersion);
    expect(validation).toStrictEqual({ ok: true, pdu });
    expect(verifyEventSignatures(pdu, roomVersion, lookup)).toStrictEqual({ ok: true, verifiedServers: ['example.org'], contentHash: 'valid' });
    expect('origin' in pdu).toBe(roomVersion.keepsOriginOnRedaction);
    expect('event_id' in pdu).toBe(roomVersion.eventsCarryEventId);
  });

  it('v1/v2: event_id is $opaque:server and edges are [id, {sha256}] pairs', () => {
    const roomVersion = getRoomVersion('1');
    const parent = buildEvent({ roomVersion, signer, template: template() });
    const hash = referenceHashOf(parent.pdu as JsonObject, roomVersion);
    const child = buildEvent({
      roomVersion,
      signer,
      template: template({ prev_events: [parent.eventId], auth_events: [parent.eventId] }),
      referenceHashes: new Map([[parent.eventId, hash]]),
    });
    expect(parent.eventId).toMatch(/^\$[A-Za-z0-9_-]{18}:example\.org$/);
    expect(child.pdu.prev_events).toStrictEqual([[parent.eventId, { sha256: hash }]]);
    expect(child.pdu.auth_events).toStrictEqual([[parent.eventId, { sha256: hash }]]);
    expect(child.eventId).toBe(child.pdu.event_id);
    expect(() => buildEvent({ roomVersion, signer, template: template({ prev_events: ['$x:example.org'] }) })).toThrow('no reference hash');
  });

  it('v1/v2: takes a given event ID', () => {
    const built = buildEvent({ roomVersion: getRoomVersion('2'), signer, template: template(), eventId: '$fixed:example.org' });
    expect(built.eventId).toBe('$fixed:example.org');
  });

  it('v3 IDs use standard base64, v4+ URL-safe', () => {
    const v3 = buildEvent({ roomVersion: getRoomVersion('3'), signer, template: template() });
    const v4 = buildEvent({ roomVersion: getRoomVersion('4'), signer, template: template() });
    expect(v3.eventId).toMatch(/^\$[A-Za-z0-9+/]{43}$/);
    expect(v4.eventId).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(v3.eventId.slice(1), 'base64').equals(Buffer.from(v4.eventId.slice(1), 'base64url'))).toBe(true);
  });

  it('puts redacts at the top level before v11 and in content from v11', () => {
    const redaction = template({ type: 'm.room.redaction', content: { reason: 'spam' }, redacts: '$target:example.org' });
    const v10 = buildEvent({ roomVersion: getRoomVersion('10'), signer, template: { ...redaction, redacts: '$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' } });
    expect(v10.pdu.redacts).toBe('$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect(v10.pdu.content).toStrictEqual({ reason: 'spam' });
    const v11 = buildEvent({ roomVersion: getRoomVersion('11'), signer, template: redaction });
    expect(v11.pdu.redacts).toBeUndefined();
    expect(v11.pdu.content).toStrictEqual({ reason: 'spam', redacts: '$target:example.org' });
    expect(() => buildEvent({ roomVersion: getRoomVersion('11'), signer, template: template({ redacts: '$x' }) })).toThrow();
  });

  it('v12 create events have no room_id and give the room ID', () => {
    const roomVersion = getRoomVersion('12');
    const create = template({ type: 'm.room.create', state_key: '', content: { room_version: '12' }, depth: 1 });
    delete create.room_id;
    const built = buildEvent({ roomVersion, signer, template: create });
    expect(built.pdu.room_id).toBeUndefined();
    expect(built.roomId).toBe(`!${built.eventId.slice(1)}`);
    expect(isValidRoomId(built.roomId, { roomVersion })).toBe(true);
    expect(() => buildEvent({ roomVersion, signer, template: { ...create, room_id: built.roomId } })).toThrow('no room_id');
    expect(() => buildEvent({ roomVersion, signer, template: { ...template(), room_id: undefined } })).toThrow('room_id is required');
  });

  it('rejects a negative or fractional depth', () => {
    expect(() => buildEvent({ roomVersion: getRoomVersion('10'), signer, template: template({ depth: -1 }) })).toThrow();
    expect(() => buildEvent({ roomVersion: getRoomVersion('10'), signer, template: template({ depth: 1.5 }) })).toThrow();
  });
});
