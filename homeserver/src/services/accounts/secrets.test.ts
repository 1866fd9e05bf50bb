import { describe, expect, it } from 'vitest';
import { hashPassword, hashToken, newAccessToken, newDeviceId, verifyPassword } from './secrets.js';

describe('account secrets', () => {
  it('hashes passwords with a random salt and verifies only the right one', async () => {
    const params = { logN: 10, r: 8, p: 1 };
    const first = await hashPassword('hunter2', params);
    const second = await hashPassword('hunter2', params);
    expect(first).toMatch(/^scrypt\$10\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(first).not.toBe(second);
    expect(await verifyPassword('hunter2', first)).toBe(true);
    expect(await verifyPassword('hunter3', first)).toBe(false);
    expect(await verifyPassword('hunter2', 'bcrypt$whatever')).toBe(false);
    expect(await verifyPassword('hunter2', 'scrypt$99$8$1$aa$bb')).toBe(false);
  });

  it('makes distinct tokens whose stored form is their SHA-256', () => {
    const token = newAccessToken();
    expect(token).toMatch(/^pat_[\w-]{43}$/);
    expect(newAccessToken()).not.toBe(token);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(newDeviceId()).toMatch(/^[A-Z]{10}$/);
  });
});
