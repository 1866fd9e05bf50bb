import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchRank, rankCandidates, words } from './directory-match.js';

const alice = { userId: '@alice.smith:example.org', displayname: 'Alice Wonderland', avatarUrl: null };
const bob = { userId: '@bob:example.org', displayname: null, avatarUrl: null };

describe('user directory matching', () => {
  it('splits into lower-case words of letters and digits', () => {
    expect(words('@Alice.Smith:Example.ORG')).toEqual(['alice', 'smith', 'example', 'org']);
    expect(words('Zoë  Ångström')).toEqual(['zoë', 'ångström']);
  });

  it('matches word prefixes of displaynames and user IDs, case-insensitively', () => {
    expect(matchRank('ALI', alice)).toBe(0);
    expect(matchRank('@alice.sm', alice)).toBe(1);
    expect(matchRank('wonder', alice)).toBe(2);
    expect(matchRank('smi wonder', alice)).toBe(3);
    expect(matchRank('onderland', alice)).toBeNull();
    expect(matchRank('bob', bob)).toBe(1);
    expect(matchRank('   ', bob)).toBeNull();
  });

  it('ranks better matches and users with profiles first, and reports truncation', () => {
    const noProfile = { userId: '@wendy:example.org', displayname: null, avatarUrl: null };
    const withProfile = { userId: '@wanda:example.org', displayname: 'Wanda', avatarUrl: 'mxc://e/x' };
    const result = rankCandidates('w', [noProfile, alice, withProfile], 2);
    expect(result.results).toEqual([{ user_id: '@wanda:example.org', display_name: 'Wanda', avatar_url: 'mxc://e/x' }, { user_id: '@wendy:example.org' }]);
    expect(result.limited).toBe(true);
    expect(rankCandidates('w', [noProfile], 5).limited).toBe(false);
  });

  it('finds a user by any non-empty prefix of any word of their displayname, in any case', () => {
    const word = fc.stringMatching(/^[a-z0-9]{1,12}$/);
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 4 }), fc.nat(), fc.nat(), (nameWords, pick, cut) => {
        const chosen = nameWords[pick % nameWords.length] ?? '';
        const prefix = chosen.slice(0, 1 + (cut % chosen.length));
        const candidate = { userId: '@someone:example.org', displayname: nameWords.join(' '), avatarUrl: null };
        expect(matchRank(prefix.toUpperCase(), candidate)).not.toBeNull();
      }),
    );
  });
});
