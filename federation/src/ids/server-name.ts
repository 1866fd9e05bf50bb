/**
 * Server names: `hostname [ ":" port ]` where hostname is an IPv4 literal, a bracketed IPv6 literal or a DNS name.
 * https://spec.matrix.org/v1.19/appendices/#server-name
 */

/** Which of the grammar's three hostname forms a server name uses. */
export type HostKind = 'ipv4' | 'ipv6' | 'dns';

/** A server name split into its parts. */
export interface ServerNameParts {
  /** The hostname as written: IPv6 literals keep their brackets (`[::1]`), so `host:port` rebuilds the name. */
  host: string;
  kind: HostKind;
  /** The explicit port, when the name has one. */
  port?: number;
}

const PORT = /^[0-9]{1,5}$/;
const DNS_NAME = /^[A-Za-z0-9.-]{1,255}$/;
const IPV4 = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$/;
const IPV6_CHARS = /^[0-9A-Fa-f:.]{2,45}$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** True for a dotted-quad IPv4 literal whose four numbers are 0-255. */
export function isIpv4Literal(text: string): boolean {
  const match = IPV4.exec(text);
  return match !== null && match.slice(1).every((octet) => Number(octet) <= 255);
}

/**
 * True for an IPv6 address in the text forms of RFC 3513 section 2.2 (without brackets): eight hex groups,
 * or fewer with one `::`, optionally ending in a dotted IPv4 address that stands for the last two groups.
 */
export function isIpv6Literal(text: string): boolean {
  if (!IPV6_CHARS.test(text)) return false;
  let groups = text;
  let extraGroups = 0;
  if (text.includes('.')) {
    const lastColon = text.lastIndexOf(':');
    if (lastColon < 0 || !isIpv4Literal(text.slice(lastColon + 1))) return false;
    // Keep the trailing colon so "::1.2.3.4" still splits into an empty tail below.
    groups = text.slice(0, lastColon + 1) + '0';
    extraGroups = 1;
  }
  const halves = groups.split('::');
  if (halves.length > 2) return false;
  const parts = halves.map((half) => (half === '' ? [] : half.split(':')));
  if (!parts.every((list) => list.every((group) => HEX_GROUP.test(group)))) return false;
  const count = parts.reduce((sum, list) => sum + list.length, 0) + extraGroups;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/**
 * Splits a server name into host, kind and port; `undefined` if it does not match the grammar.
 * A dotted quad with a number above 255 is not an IPv4 literal, but the grammar still admits it as a DNS name.
 */
export function parseServerName(serverName: string): ServerNameParts | undefined {
  let host = serverName;
  let portText: string | undefined;
  if (serverName.startsWith('[')) {
    const close = serverName.indexOf(']');
    if (close < 0) return undefined;
    host = serverName.slice(0, close + 1);
    const rest = serverName.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      portText = rest.slice(1);
    }
    if (!isIpv6Literal(host.slice(1, -1))) return undefined;
  } else {
    const colon = serverName.indexOf(':');
    if (colon >= 0) {
      host = serverName.slice(0, colon);
      portText = serverName.slice(colon + 1);
    }
    if (!DNS_NAME.test(host)) return undefined;
  }
  if (portText !== undefined && !PORT.test(portText)) return undefined;
  const kind: HostKind = host.startsWith('[') ? 'ipv6' : isIpv4Literal(host) ? 'ipv4' : 'dns';
  return portText === undefined ? { host, kind } : { host, kind, port: Number(portText) };
}

/** True when `serverName` matches the server name grammar. */
export function isValidServerName(serverName: string): boolean {
  return parseServerName(serverName) !== undefined;
}

/** Identifiers (user IDs, room IDs, event IDs, aliases) MUST NOT exceed 255 bytes of UTF-8, sigil and domain included. */
export const MAX_IDENTIFIER_BYTES = 255;

/** True when `text` fits the 255-byte identifier limit. */
export function fitsIdentifierLimit(text: string): boolean {
  return Buffer.byteLength(text, 'utf8') <= MAX_IDENTIFIER_BYTES;
}

// With the `u` flag a surrogate pair is one code point, so this matches only lone surrogates.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * True for the lenient localpart grammar shared by historical user IDs, room IDs and aliases: any
 * non-surrogate code points except `:` and NUL (U+0000), possibly none.
 */
export function isLenientLocalpart(localpart: string): boolean {
  return !localpart.includes(':') && !localpart.includes('\u0000') && !LONE_SURROGATE.test(localpart);
}

/**
 * Splits `&localpart:domain` at the first `:` (a localpart never contains one; a domain may, before its port).
 * Checks the sigil, the 255-byte limit and the server name grammar; the caller checks the localpart.
 */
export function splitSigilledId(id: string, sigil: string): { localpart: string; serverName: string } | undefined {
  if (!id.startsWith(sigil) || !fitsIdentifierLimit(id)) return undefined;
  const colon = id.indexOf(':');
  if (colon < 0) return undefined;
  const serverName = id.slice(colon + 1);
  if (!isValidServerName(serverName)) return undefined;
  return { localpart: id.slice(sigil.length, colon), serverName };
}
