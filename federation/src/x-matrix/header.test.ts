import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import vectors from '../test-vectors/signing.json' with { type: 'json' };
import type { JsonValue } from '../json/canonical.js';
import { decodeBase64 } from '../crypto/base64.js';
import { generateSigningKey, signingKeyFromSeed } from '../crypto/keys.js';
import { signJson } from '../crypto/sign.js';
import {
  formatXMatrixAuthorization,
  parseXMatrixAuthorization,
  requestSigningJson,
  signFederationRequest,
  verifyFederationRequest,
  type FederationRequest,
} from './header.js';

const key = signingKeyFromSeed(decodeBase64(vectors.signingKey.seed), vectors.signingKey.keyVersion);
const request: FederationRequest = {
  method: 'PUT',
  uri: '/_matrix/federation/v1/send/1?x=y',
  origin: 'origin.hs.example.com',
  destination: 'destination.hs.example.com',
  content: { pdus: [], edus: [] },
};

describe('signFederationRequest', () => {
  it('signs {method, uri, origin, destination, content} and formats the header as the spec example', () => {
    const header = signFederationRequest(request, key);
    const expectedSig = (signJson(requestSigningJson(request), request.origin, key).signatures as Record<string, Record<string, string>>)[request.origin]?.['ed25519:1'];
    expect(header).toBe(
      `X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:1",sig="${expectedSig}"`,
    );
  });

  it('leaves content out when the request has no body', () => {
    const { content: _c, ...get } = request;
    expect(requestSigningJson(get)).toStrictEqual({ method: 'PUT', uri: request.uri, origin: request.origin, destination: request.destination });
    const withNull = requestSigningJson({ ...get, content: null });
    expect(withNull.content).toBeNull();
  });
});

describe('verifyFederationRequest', () => {
  const header = parseXMatrixAuthorization(signFederationRequest(request, key));
  if (!header) throw new Error('header did not parse');
  const incoming = { method: request.method, uri: request.uri, content: request.content };
  const ours = { ourServerName: 'destination.hs.example.com', publicKey: key.publicKey };

  it('accepts the request it signed', () => {
    expect(verifyFederationRequest(incoming, header, ours)).toStrictEqual({ ok: true });
  });

  it('rejects a changed method, uri, body, or a body that was added or removed', () => {
    expect(verifyFederationRequest({ ...incoming, method: 'POST' }, header, ours).ok).toBe(false);
    expect(verifyFederationRequest({ ...incoming, uri: '/_matrix/federation/v1/send/2?x=y' }, header, ours).ok).toBe(false);
    expect(verifyFederationRequest({ ...incoming, content: { pdus: [1] } }, header, ours).ok).toBe(false);
    expect(verifyFederationRequest({ method: incoming.method, uri: incoming.uri }, header, ours).ok).toBe(false);
  });

  it('rejects a destination that is not this server (the caller answers 401)', () => {
    expect(verifyFederationRequest(incoming, header, { ...ours, ourServerName: 'elsewhere' })).toStrictEqual({ ok: false, reason: 'wrong-destination' });
  });

  it('accepts a header without destination from an older server, using our name', () => {
    const { destination: _d, ...old } = header;
    expect(verifyFederationRequest(incoming, old, ours)).toStrictEqual({ ok: true });
    expect(verifyFederationRequest(incoming, old, { ...ours, ourServerName: 'elsewhere' }).ok).toBe(false);
  });

  it('rejects a signature by another key', () => {
    expect(verifyFederationRequest(incoming, header, { ...ours, publicKey: generateSigningKey().publicKey })).toStrictEqual({ ok: false, reason: 'bad-signature' });
  });

  it('verifies arbitrary signed bodies and URIs', () => {
    const signer = generateSigningKey('p');
    fc.assert(
      fc.property(fc.constantFrom('GET', 'PUT', 'POST'), fc.webPath(), fc.option(fc.jsonValue() as fc.Arbitrary<JsonValue>, { nil: undefined }), (method, path, content) => {
        const req = { method, uri: `/_matrix${path}`, origin: 'a.example', destination: 'b.example', content };
        let value: string;
        try {
          value = signFederationRequest(req, signer);
        } catch {
          return; // floats cannot be signed: canonical JSON has no encoding for them
        }
        const parsed = parseXMatrixAuthorization(value);
        if (!parsed) throw new Error(`did not parse: ${value}`);
        expect(verifyFederationRequest(req, parsed, { ourServerName: 'b.example', publicKey: signer.publicKey })).toStrictEqual({ ok: true });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseXMatrixAuthorization', () => {
  const expected = { origin: 'origin.hs.example.com', destination: 'destination.hs.example.com', key: 'ed25519:key1', sig: 'ABCDEF...' };

  it('parses the spec example', () => {
    expect(
      parseXMatrixAuthorization('X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:key1",sig="ABCDEF..."'),
    ).toStrictEqual(expected);
  });

  it.each([
    ['bare values, colons included', 'X-Matrix origin=origin.hs.example.com,destination=destination.hs.example.com,key=ed25519:key1,sig=ABCDEF...'],
    ['any case for scheme and names, any order', 'x-matrix SIG="ABCDEF...",Key="ed25519:key1",Destination="destination.hs.example.com",ORIGIN=origin.hs.example.com'],
    ['several spaces after the scheme, spaces and tabs around commas', 'X-Matrix   origin="origin.hs.example.com" ,\tdestination="destination.hs.example.com",  key="ed25519:key1" \t, sig="ABCDEF..."'],
    ['backslash escapes in quoted values', 'X-Matrix origin="origin.hs.\\example.com",destination="destination.hs.example.com",key="ed25519:\\key1",sig="ABCDEF..."'],
    ['unknown parameters ignored', 'X-Matrix origin="origin.hs.example.com",foo="bar",destination="destination.hs.example.com",key="ed25519:key1",sig="ABCDEF...",x=1'],
  ])('accepts %s', (_name, header) => {
    expect(parseXMatrixAuthorization(header)).toStrictEqual(expected);
  });

  it('leaves destination out when absent', () => {
    expect(parseXMatrixAuthorization('X-Matrix origin=a,key="ed25519:1",sig=abc')).toStrictEqual({ origin: 'a', key: 'ed25519:1', sig: 'abc' });
  });

  it('accepts unquoted base64 signatures with / + and =', () => {
    expect(parseXMatrixAuthorization('X-Matrix origin=a,key=ed25519:1,sig=ab/c+d==')?.sig).toBe('ab/c+d==');
  });

  it.each([
    ['another scheme', 'Bearer abc'],
    ['no space after the scheme', 'X-Matrixorigin=a,key=k,sig=s'],
    ['a missing origin', 'X-Matrix key=k,sig=s'],
    ['a missing key', 'X-Matrix origin=a,sig=s'],
    ['a missing sig', 'X-Matrix origin=a,key=k'],
    ['an unterminated quote', 'X-Matrix origin="a,key=k,sig=s'],
    ['a repeated parameter', 'X-Matrix origin=a,origin=b,key=k,sig=s'],
    ['a parameter without a value', 'X-Matrix origin=a,key,sig=s'],
    ['a trailing comma', 'X-Matrix origin=a,key=k,sig=s,'],
    ['garbage between parameters', 'X-Matrix origin=a key=k,sig=s'],
  ])('rejects %s', (_name, header) => {
    expect(parseXMatrixAuthorization(header)).toBeUndefined();
  });

  it('round-trips formatted headers, quotes and backslashes included', () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.string(), { nil: undefined }), fc.string(), fc.string(), (origin, destination, keyId, sig) => {
        const auth = destination === undefined ? { origin, key: keyId, sig } : { origin, destination, key: keyId, sig };
        expect(parseXMatrixAuthorization(formatXMatrixAuthorization(auth))).toStrictEqual(auth);
      }),
      { numRuns: 1000 },
    );
  });
});
