/**
 * Request authentication between servers: the signed request JSON and the `Authorization: X-Matrix ...` header.
 * https://spec.matrix.org/v1.19/server-server-api/#request-authentication
 */
import type { JsonObject, JsonValue } from '../json/canonical.js';
import type { SigningKey } from '../crypto/keys.js';
import { signJson, verifyJsonSignature, type SignatureCheck } from '../crypto/sign.js';

/** The parameters of an `X-Matrix` authorization header. */
export interface XMatrixAuthorization {
  origin: string;
  /** Added in spec v1.3; older servers may leave it out, so receivers accept its absence. */
  destination?: string;
  /** The key ID, e.g. `ed25519:key1`. */
  key: string;
  /** Unpadded base64 signature of the request JSON. */
  sig: string;
}

/** A federation request as it is signed: the target includes the path and query, not scheme or host. */
export interface FederationRequest {
  method: string;
  /** e.g. `/_matrix/federation/v1/send/123?x=y` */
  uri: string;
  origin: string;
  destination: string;
  /** The JSON-parsed request body, when there is one. */
  content?: JsonValue;
}

// Request bodies may carry events of room versions 1-5 whose integers exceed the canonical range; signing
// and verifying both encode them, so only the byte-for-byte agreement of the two sides matters.
const REQUEST_CANONICAL = { strictIntegerRange: false };

/** The JSON object that is signed for a request: `{method, uri, origin, destination, content?}`. */
export function requestSigningJson(request: FederationRequest): JsonObject {
  const json: JsonObject = {
    method: request.method,
    uri: request.uri,
    origin: request.origin,
    destination: request.destination,
  };
  if (request.content !== undefined) json.content = request.content;
  return json;
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (character) => `\\${character}`)}"`;
}

/**
 * Formats the header value the way the spec asks senders to for older servers: one space after `X-Matrix`,
 * lower-case names, no spaces around commas, every value quoted.
 */
export function formatXMatrixAuthorization(auth: XMatrixAuthorization): string {
  const params = [`origin=${quote(auth.origin)}`];
  if (auth.destination !== undefined) params.push(`destination=${quote(auth.destination)}`);
  params.push(`key=${quote(auth.key)}`, `sig=${quote(auth.sig)}`);
  return `X-Matrix ${params.join(',')}`;
}

/** Signs `request` with `key` and returns the `Authorization` header value. */
export function signFederationRequest(request: FederationRequest, key: SigningKey): string {
  const signed = signJson(requestSigningJson(request), request.origin, key, REQUEST_CANONICAL);
  const signatures = signed.signatures as Record<string, Record<string, string>>;
  const sig = signatures[request.origin]?.[key.keyId] as string;
  return formatXMatrixAuthorization({ origin: request.origin, destination: request.destination, key: key.keyId, sig });
}

const SCHEME = /^x-matrix[ \t]+/i;
const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;
const OWS = /^[ \t]*/;
// NOTSPEC: a token may not hold `:`, `/` or `=`, but older servers send colons unquoted (which the spec says
// to accept) and base64 signatures hold `/` and `=`; accept anything up to a comma, whitespace or quote.
const LENIENT_TOKEN = /^[^\s,"]+/;

/** Reads a quoted-string at the start of `text`, unescaping `\x` pairs; returns it and the rest. */
function readQuoted(text: string): [string, string] | undefined {
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const character = text[i] as string;
    if (character === '"') return [value, text.slice(i + 1)];
    if (character === '\\') {
      i++;
      if (i >= text.length) return undefined;
      value += text[i];
    } else {
      value += character;
    }
  }
  return undefined;
}

/** Splits the parameter list into lower-cased names and unescaped values; `undefined` if malformed. */
function readParams(text: string): Map<string, string> | undefined {
  const params = new Map<string, string>();
  let rest = text;
  for (;;) {
    const name = NAME.exec(rest)?.[0];
    if (name === undefined || rest[name.length] !== '=') return undefined;
    rest = rest.slice(name.length + 1);
    let value: string;
    if (rest.startsWith('"')) {
      const quoted = readQuoted(rest);
      if (!quoted) return undefined;
      [value, rest] = quoted;
    } else {
      const token = LENIENT_TOKEN.exec(rest)?.[0];
      if (token === undefined) return undefined;
      value = token;
      rest = rest.slice(token.length);
    }
    const key = name.toLowerCase();
    if (params.has(key)) return undefined;
    params.set(key, value);
    rest = rest.replace(OWS, '');
    if (rest === '') return params;
    if (!rest.startsWith(',')) return undefined;
    rest = rest.slice(1).replace(OWS, '');
  }
}

/**
 * Parses an `Authorization` header value with the `X-Matrix` scheme: names are case-insensitive and in any
 * order, values quoted (with backslash escapes) or bare, spaces and tabs allowed around commas, unknown
 * parameters ignored. `undefined` when the scheme differs, the syntax is broken, a parameter repeats, or
 * `origin`, `key` or `sig` is missing.
 */
export function parseXMatrixAuthorization(header: string): XMatrixAuthorization | undefined {
  const scheme = SCHEME.exec(header.trim());
  if (!scheme) return undefined;
  const params = readParams(header.trim().slice(scheme[0].length));
  if (!params) return undefined;
  const origin = params.get('origin');
  const key = params.get('key');
  const sig = params.get('sig');
  if (origin === undefined || key === undefined || sig === undefined) return undefined;
  const destination = params.get('destination');
  return destination === undefined ? { origin, key, sig } : { origin, destination, key, sig };
}

/** Why an incoming request's signature is not accepted. */
export type RequestSignatureCheck = { ok: true } | { ok: false; reason: 'wrong-destination' | Extract<SignatureCheck, { ok: false }>['reason'] };

/**
 * Verifies a request's X-Matrix signature. `destination` in the header must name this server when present
 * (else the spec requires 401); when absent (older servers) this server's name is what was signed.
 */
export function verifyFederationRequest(
  request: { method: string; uri: string; content?: JsonValue },
  auth: XMatrixAuthorization,
  options: { ourServerName: string; publicKey: Uint8Array },
): RequestSignatureCheck {
  if (auth.destination !== undefined && auth.destination !== options.ourServerName) {
    return { ok: false, reason: 'wrong-destination' };
  }
  const json = requestSigningJson({ ...request, origin: auth.origin, destination: options.ourServerName });
  json.signatures = { [auth.origin]: { [auth.key]: auth.sig } };
  return verifyJsonSignature(json, auth.origin, auth.key, options.publicKey, REQUEST_CANONICAL);
}
