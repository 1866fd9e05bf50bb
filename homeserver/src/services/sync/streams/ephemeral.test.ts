import { describe, expect, it } from 'vitest';
import { emptyResponse, type SyncContext } from '../context.js';
import { resolveFilter } from '../filter.js';
import { ZERO_TOKEN } from '../token.js';
import type { EphemeralPort } from '../types.js';
import { collectReceipts } from './receipts.js';
import { collectTyping } from './typing.js';

function context(overrides: Partial<SyncContext> = {}): SyncContext {
  return {
    userId: '@me:hs',
    deviceId: 'DEV',
    accessTokenId: 1,
    filter: resolveFilter({}),
    since: { ...ZERO_TOKEN, typing: 3, receipts: 4 },
    upTo: { ...ZERO_TOKEN, typing: 9, receipts: 9 },
    fullState: false,
    useStateAfter: false,
    ignoredUsers: new Set(['@ignored:hs']),
    joinedRoomIds: ['!a:hs'],
    watchedRoomIds: ['!a:hs'],
    response: emptyResponse(),
    ...overrides,
  };
}

describe('ephemeral providers', () => {
  it('asks for the range and joined rooms, and drops ignored typists', async () => {
    const calls: unknown[] = [];
    const port: EphemeralPort = {
      async getChanges(...args) {
        calls.push(args);
        return [
          { roomId: '!a:hs', event: { type: 'm.typing', content: { user_ids: ['@ignored:hs', '@friend:hs'] } } },
          { roomId: '!not-joined:hs', event: { type: 'm.typing', content: { user_ids: ['@friend:hs'] } } },
        ];
      },
    };
    const ctx = context();
    await collectTyping(port, ctx);
    expect(calls).toEqual([['@me:hs', 3, 9, ['!a:hs']]]);
    expect(ctx.response.rooms.join['!a:hs']?.ephemeral.events).toEqual([{ type: 'm.typing', content: { user_ids: ['@friend:hs'] } }]);
    expect(ctx.response.rooms.join['!not-joined:hs']).toBeUndefined();
  });

  it("drops ignored users' receipts and rooms left with none", async () => {
    const port: EphemeralPort = {
      async getChanges() {
        return [
          {
            roomId: '!a:hs',
            event: {
              type: 'm.receipt',
              content: { $e1: { 'm.read': { '@ignored:hs': { ts: 1 }, '@friend:hs': { ts: 2 } } }, $e2: { 'm.read': { '@ignored:hs': { ts: 3 } } } },
            },
          },
        ];
      },
    };
    const ctx = context();
    await collectReceipts(port, ctx);
    expect(ctx.response.rooms.join['!a:hs']?.ephemeral.events).toEqual([{ type: 'm.receipt', content: { $e1: { 'm.read': { '@friend:hs': { ts: 2 } } } } }]);

    const onlyIgnored = context({ joinedRoomIds: ['!a:hs'] });
    const ignoredPort: EphemeralPort = {
      async getChanges() {
        return [{ roomId: '!a:hs', event: { type: 'm.receipt', content: { $e: { 'm.read': { '@ignored:hs': { ts: 1 } } } } } }];
      },
    };
    await collectReceipts(ignoredPort, onlyIgnored);
    expect(onlyIgnored.response.rooms.join).toEqual({});
  });

  it('applies the ephemeral filter and reads from 0 on an initial sync', async () => {
    const calls: unknown[] = [];
    const port: EphemeralPort = {
      async getChanges(...args) {
        calls.push(args);
        return [{ roomId: '!a:hs', event: { type: 'm.typing', content: { user_ids: ['@friend:hs'] } } }];
      },
    };
    const ctx = context({ since: null, filter: resolveFilter({ room: { ephemeral: { types: ['m.receipt'] } } }) });
    await collectTyping(port, ctx);
    expect(calls).toEqual([['@me:hs', 0, 9, ['!a:hs']]]);
    expect(ctx.response.rooms.join).toEqual({});
  });
});
