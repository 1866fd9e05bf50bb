import { describe, expect, it } from 'vitest';
import { closeServices, type Services } from './registry.js';

describe('closeServices', () => {
  it('closes typing and presence first, then every other service with a close, and survives a failing one', async () => {
    const closed: string[] = [];
    const closable = (name: string, fail = false) => ({
      close: async () => {
        closed.push(name);
        if (fail) throw new Error(`${name} broke`);
      },
    });
    const services = {
      accounts: {},
      rooms: closable('rooms', true),
      sync: closable('sync'),
      typing: { close: () => void closed.push('typing') },
      presence: closable('presence'),
      profile: {},
    } as unknown as Services;
    await expect(closeServices(services)).rejects.toThrow(AggregateError);
    expect(closed).toEqual(['typing', 'presence', 'rooms', 'sync']);
  });

  it('does nothing for services without a close', async () => {
    await expect(closeServices({ accounts: {}, profile: {} } as unknown as Services)).resolves.toBeUndefined();
  });
});
