import { describe, expect, it } from 'vitest';
import { decodeBase64 } from '@parley/federation';
import { generateSigningKey } from '@parley/federation';
import { verifyJsonSignature } from '@parley/federation';
import type { JsonObject } from '@parley/federation';
import { manualClock } from '../../clock.js';
import { createServerKeys, KEY_RESPONSE_VALIDITY_MS } from './index.js';

const OLD_KEY = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

describe('createServerKeys', () => {
  const signingKey = generateSigningKey('k1');
  const clock = manualClock(1_700_000_000_000);
  const keys = createServerKeys({
    serverName: 'example.org',
    signingKey,
    clock,
    oldVerifyKeys: { 'ed25519:old': { key: OLD_KEY, expired_ts: 5 }, 'ed25519:k1': { key: OLD_KEY, expired_ts: 6 } },
  });

  it('publishes the current key, the old keys, and a validity of a day from now', () => {
    const document = keys.keyDocument();
    expect(document.server_name).toBe('example.org');
    expect(document.verify_keys).toEqual({ 'ed25519:k1': { key: signingKey.publicKey.toString('base64').replace(/=+$/, '') } });
    // The current key is never listed as expired, even if the config says so.
    expect(document.old_verify_keys).toEqual({ 'ed25519:old': { key: OLD_KEY, expired_ts: 5 } });
    expect(document.valid_until_ts).toBe(clock.now() + KEY_RESPONSE_VALIDITY_MS);
    clock.advance(1000);
    expect(keys.keyDocument().valid_until_ts).toBe(clock.now() + KEY_RESPONSE_VALIDITY_MS);
  });

  it('signs the document with the key it publishes', () => {
    const document = keys.keyDocument();
    const verifyKeys = document.verify_keys as Record<string, { key: string }>;
    const published = decodeBase64((verifyKeys['ed25519:k1'] as { key: string }).key);
    expect(verifyJsonSignature(document, 'example.org', 'ed25519:k1', published)).toEqual({ ok: true });
    const tampered: JsonObject = { ...document, valid_until_ts: (document.valid_until_ts as number) + 1 };
    expect(verifyJsonSignature(tampered, 'example.org', 'ed25519:k1', published)).toEqual({ ok: false, reason: 'bad-signature' });
  });
});
