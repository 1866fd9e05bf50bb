import { describe, expect, it } from 'vitest';
import { createLazyMemberCache } from './lazy-members.js';

describe('lazy member cache', () => {
  it('remembers which member event each device got, per room', () => {
    const cache = createLazyMemberCache();
    cache.markSent('dev1', '!r:hs', [['@a:hs', '$1']]);
    expect(cache.wasSent('dev1', '!r:hs', '@a:hs', '$1')).toBe(true);
    expect(cache.wasSent('dev1', '!r:hs', '@a:hs', '$2')).toBe(false);
    expect(cache.knows('dev1', '!r:hs', '@a:hs')).toBe(true);
    expect(cache.knows('dev2', '!r:hs', '@a:hs')).toBe(false);
    expect(cache.knows('dev1', '!other:hs', '@a:hs')).toBe(false);
  });

  it('forgets a device on request and the least recently used rooms past its capacity', () => {
    const cache = createLazyMemberCache(2);
    cache.markSent('dev', '!1:hs', [['@a:hs', '$1']]);
    cache.markSent('dev', '!2:hs', [['@a:hs', '$1']]);
    expect(cache.knows('dev', '!1:hs', '@a:hs')).toBe(true); // touches !1, so !2 is now the oldest
    cache.markSent('dev', '!3:hs', [['@a:hs', '$1']]);
    expect(cache.knows('dev', '!2:hs', '@a:hs')).toBe(false);
    expect(cache.knows('dev', '!1:hs', '@a:hs')).toBe(true);
    cache.forgetDevice('dev');
    expect(cache.knows('dev', '!1:hs', '@a:hs')).toBe(false);
    expect(cache.knows('dev', '!3:hs', '@a:hs')).toBe(false);
  });

  it('forgets a member of one room for every device when their membership changes, and nothing else', () => {
    const cache = createLazyMemberCache();
    cache.markSent('dev1', '!1:hs', [['@a:hs', '$1'], ['@b:hs', '$2']]);
    cache.markSent('dev2', '!1:hs', [['@a:hs', '$1']]);
    cache.markSent('dev1', '!2:hs', [['@a:hs', '$3']]);
    cache.forgetMember('!1:hs', '@a:hs');
    expect(cache.knows('dev1', '!1:hs', '@a:hs')).toBe(false);
    expect(cache.knows('dev2', '!1:hs', '@a:hs')).toBe(false);
    expect(cache.knows('dev1', '!1:hs', '@b:hs')).toBe(true);
    expect(cache.wasSent('dev1', '!2:hs', '@a:hs', '$3')).toBe(true);
    // A device forgotten after that leaves the room index consistent: forgetting again finds nothing to break.
    cache.forgetDevice('dev1');
    cache.forgetMember('!1:hs', '@b:hs');
    expect(cache.knows('dev2', '!1:hs', '@a:hs')).toBe(false);
  });
});
