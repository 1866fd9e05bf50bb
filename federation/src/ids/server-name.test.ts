import { describe, expect, it } from 'vitest';
import { isIpv6Literal, isValidServerName, parseServerName, splitSigilledId } from './server-name.js';

describe('parseServerName', () => {
  it.each([
    ['matrix.org', { host: 'matrix.org', kind: 'dns' }],
    ['matrix.org:8888', { host: 'matrix.org', kind: 'dns', port: 8888 }],
    ['1.2.3.4', { host: '1.2.3.4', kind: 'ipv4' }],
    ['1.2.3.4:1234', { host: '1.2.3.4', kind: 'ipv4', port: 1234 }],
    ['[1234:5678::abcd]', { host: '[1234:5678::abcd]', kind: 'ipv6' }],
    ['[1234:5678::abcd]:5678', { host: '[1234:5678::abcd]', kind: 'ipv6', port: 5678 }],
  ])('accepts the spec example %s', (name, parts) => {
    expect(parseServerName(name)).toStrictEqual(parts);
  });

  it.each([
    ['localhost', 'dns'],
    ['MATRIX.ORG', 'dns'],
    ['a-b.c', 'dns'],
    ['999.1.1.1', 'dns'],
    ['[::1]', 'ipv6'],
    ['[::]', 'ipv6'],
    ['[::ffff:1.2.3.4]', 'ipv6'],
    ['[1:2:3:4:5:6:7:8]', 'ipv6'],
    ['[1:2:3:4:5:6:1.2.3.4]', 'ipv6'],
    ['[FE80::1]:8448', 'ipv6'],
  ] as const)('accepts %s as %s', (name, kind) => {
    expect(parseServerName(name)?.kind).toBe(kind);
  });

  it.each([
    '',
    ':8448',
    'matrix.org:',
    'matrix.org:123456',
    'matrix.org:80a',
    'matrix.org:80:80',
    'under_score.org',
    'spa ce.org',
    'ümlaut.org',
    '[1234:5678::abcd',
    '[1234:5678::abcd]8448',
    '[]',
    '[::1%eth0]',
    '[1:2:3:4:5:6:7:8:9]',
    '[1:2:3:4:5:6:7]',
    '[1::2::3]',
    '[12345::]',
    '[::1.2.3.256]',
    '[1.2.3.4]',
    'a'.repeat(256),
  ])('rejects %j', (name) => {
    expect(isValidServerName(name)).toBe(false);
  });

  it('allows a 255-character DNS name', () => {
    expect(isValidServerName('a'.repeat(255))).toBe(true);
  });
});

describe('isIpv6Literal', () => {
  it('requires exactly eight groups without ::', () => {
    expect(isIpv6Literal('1:2:3:4:5:6:7:8')).toBe(true);
    expect(isIpv6Literal('1:2:3:4:5:6:7:8:9')).toBe(false);
    expect(isIpv6Literal('1:2:3:4:5:6:7::8')).toBe(false);
    expect(isIpv6Literal('1::8')).toBe(true);
  });
});

describe('splitSigilledId', () => {
  it('splits at the first colon so a port stays with the domain', () => {
    expect(splitSigilledId('@a:example.org:8448', '@')).toStrictEqual({ localpart: 'a', serverName: 'example.org:8448' });
  });

  it('enforces the sigil and the 255-byte limit', () => {
    expect(splitSigilledId('#a:example.org', '@')).toBeUndefined();
    const id = `@${'a'.repeat(243)}:example.org`;
    expect(Buffer.byteLength(id)).toBe(256);
    expect(splitSigilledId(id, '@')).toBeUndefined();
    expect(splitSigilledId(`@${'a'.repeat(242)}:example.org`, '@')?.localpart).toHaveLength(242);
  });
});
