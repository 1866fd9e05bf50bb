import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../matrix-error.js';
import { SYNC_STREAMS, ZERO_TOKEN, clampToken, formatSyncToken, maxToken, parseSyncToken, tokenAdvanced, type SyncToken } from './token.js';

const tokenArbitrary = fc.record(
  Object.fromEntries(SYNC_STREAMS.map((stream) => [stream, fc.maxSafeNat()])) as Record<keyof SyncToken, fc.Arbitrary<number>>,
);

function expectInvalid(text: string): void {
  try {
    parseSyncToken(text);
  } catch (error) {
    expect(error).toBeInstanceOf(MatrixError);
    expect((error as MatrixError).status).toBe(400);
    expect((error as MatrixError).errcode).toBe('M_INVALID_PARAM');
    return;
  }
  throw new Error(`parsed ${JSON.stringify(text)}`);
}

describe('sync token', () => {
  it('round-trips every position', () => {
    fc.assert(
      fc.property(tokenArbitrary, (token) => {
        expect(parseSyncToken(formatSyncToken(token))).toEqual(token);
      }),
    );
  });

  it('writes one position per stream in a fixed order', () => {
    const token = { ...ZERO_TOKEN, events: 120, receipts: 4, key_counts: 9 };
    expect(formatSyncToken(token)).toBe('s120_4_0_0_0_0_0_9');
  });

  it('reads a token from before a stream was added as position 0 on it', () => {
    expect(parseSyncToken('s5_6')).toEqual({ ...ZERO_TOKEN, events: 5, receipts: 6 });
  });

  it('ignores positions of streams added by a newer version', () => {
    expect(parseSyncToken('s1_2_3_4_5_6_7_8_9_10')).toEqual({
      events: 1, receipts: 2, typing: 3, presence: 4, account_data: 5, to_device: 6, device_lists: 7, key_counts: 8,
    });
  });

  it.each(['', 's', 'x1_2', 's1__2', 's1_-2', 's01', 's1_2a', 's 1', 's1.5', 's99999999999999999', `s${'1_'.repeat(300)}1`, 's1_2_'])(
    'rejects %j with 400 M_INVALID_PARAM',
    (text) => expectInvalid(text),
  );

  it('rejects arbitrary strings without throwing anything but M_INVALID_PARAM', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          const token = parseSyncToken(text);
          expect(formatSyncToken(token).length).toBeGreaterThan(0);
        } catch (error) {
          expect((error as MatrixError).errcode).toBe('M_INVALID_PARAM');
        }
      }),
    );
  });

  it('combines, clamps and compares tokens per stream', () => {
    const a = { ...ZERO_TOKEN, events: 5, typing: 1 };
    const b = { ...ZERO_TOKEN, events: 3, typing: 4 };
    expect(maxToken(a, b)).toEqual({ ...ZERO_TOKEN, events: 5, typing: 4 });
    expect(clampToken(a, b)).toEqual({ ...ZERO_TOKEN, events: 3, typing: 1 });
    expect(tokenAdvanced(a, b)).toBe(true);
    expect(tokenAdvanced(a, a)).toBe(false);
  });
});
