import { describe, it, expect } from 'vitest';
import { signingKeyFromSeed } from '../crypto/keys.js';
import { signJson } from '../crypto/sign.js';
import { encodeUnpaddedBase64 } from '../crypto/base64.js';
import type { JsonObject } from '../json/canonical.js';
import { ALICE, ALL_VERSIONS, BOB, CAROL, DAVE, MOD, Room, outcome, standardRoom } from './test-fixtures.js';

/** The member rule numbers as each version's spec page prints them (written out per version family). */
function memberRules(v: string) {
  const n = Number(v);
  const m = n <= 5 || n === 12 ? '5' : '4';
  const restricted = n >= 8;
  const [join, invite, leave, ban] = restricted ? [3, 4, 5, 6] : [2, 3, 4, 5];
  const knock = n >= 8 ? 7 : n === 7 ? 6 : undefined;
  const unknown = n >= 8 ? 8 : n === 7 ? 7 : 6;
  return {
    shape: `${m}.1`,
    sig: `${m}.2`,
    join: `${m}.${join}`,
    joinOtherwise: `${m}.${join}.${restricted ? 7 : 6}`,
    invite: `${m}.${invite}`,
    leave: `${m}.${leave}`,
    ban: `${m}.${ban}`,
    knock: knock === undefined ? undefined : `${m}.${knock}`,
    unknown: `${m}.${unknown}`,
  };
}

const atLeast = (v: string, n: number) => Number(v) >= n;

describe.each(ALL_VERSIONS)('room version %s: member event shape', (v) => {
  const r = memberRules(v);

  it('rejects a member event without state_key or membership', () => {
    const room = standardRoom(v);
    const noStateKey = room.event({ type: 'm.room.member', sender: CAROL, content: { membership: 'join' } });
    const noMembership = room.event({ type: 'm.room.member', sender: CAROL, state_key: CAROL, content: {} });
    expect(outcome(room.auth(noStateKey))).toBe(`reject ${r.shape}`);
    expect(outcome(room.auth(noMembership))).toBe(`reject ${r.shape}`);
  });

  it('rejects an unknown membership (and knock before v7)', () => {
    const room = standardRoom(v).joinRule('knock');
    expect(outcome(room.auth(room.member(CAROL, 'wander')))).toBe(`reject ${r.unknown}`);
    expect(outcome(room.auth(room.member(CAROL, 5 as never)))).toBe(`reject ${r.unknown}`);
    expect(outcome(room.auth(room.member(CAROL, 'knock')))).toBe(atLeast(v, 7) ? 'allow' : `reject ${r.unknown}`);
  });
});

describe.each(ALL_VERSIONS)('room version %s: join', (v) => {
  const r = memberRules(v);

  it("allows the creator's join whose only prev event is the create event", () => {
    const room = new Room(v);
    const join = (prev: string[]) => room.event({
      type: 'm.room.member', sender: ALICE, state_key: ALICE, content: { membership: 'join' },
      prev_events: prev.map((id) => room.prevRef(id)) as never,
    });
    expect(outcome(room.auth(join([room.createId])))).toBe('allow');
    expect(outcome(room.auth(join(['$other:a.example'])))).toBe(`reject ${r.joinOtherwise}`);
    expect(outcome(room.auth(join([room.createId, '$other:a.example'])))).toBe(`reject ${r.joinOtherwise}`);
  });

  it('takes the creator from content.creator before v11 and from the sender after', () => {
    const room = new Room(v, { creator: DAVE });
    const join = (user: string) => room.event({
      type: 'm.room.member', sender: user, state_key: user, content: { membership: 'join' },
      prev_events: [room.prevRef(room.createId)] as never,
    });
    const implicit = atLeast(v, 11);
    expect(outcome(room.auth(join(DAVE)))).toBe(implicit ? `reject ${r.joinOtherwise}` : 'allow');
    expect(outcome(room.auth(join(ALICE)))).toBe(implicit ? 'allow' : `reject ${r.joinOtherwise}`);
  });

  it('rejects joining as someone else', () => {
    const room = standardRoom(v);
    expect(outcome(room.auth(room.member(CAROL, 'join', {}, MOD)))).toBe(`reject ${r.join}.2`);
  });

  it('rejects a banned user', () => {
    const room = standardRoom(v).members({ [CAROL]: 'ban' });
    expect(outcome(room.auth(room.member(CAROL, 'join')))).toBe(`reject ${r.join}.3`);
  });

  it('public: anyone not banned may join; private and unknown rules: nobody', () => {
    const room = standardRoom(v);
    expect(outcome(room.auth(room.member(CAROL, 'join')))).toBe('allow');
    room.joinRule('private');
    expect(outcome(room.auth(room.member(CAROL, 'join')))).toBe(`reject ${r.joinOtherwise}`);
    room.joinRule('open-sesame');
    expect(outcome(room.auth(room.member(CAROL, 'join')))).toBe(`reject ${r.joinOtherwise}`);
  });

  it('invite: only invited or joined users', () => {
    const room = standardRoom(v).joinRule('invite');
    expect(outcome(room.auth(room.member(CAROL, 'join')))).toBe(`reject ${r.joinOtherwise}`);
    expect(outcome(room.auth(room.member(BOB, 'join', { displayname: 'Bob' })))).toBe('allow');
    room.members({ [CAROL]: 'invite' });
    expect(outcome(room.auth(room.member(CAROL, 'join')))).toBe('allow');
  });

  it('NOTSPEC: no join rules event reads as invite', () => {
    const room = standardRoom(v).drop('m.room.join_rules');
    expect(outcome(room.auth(room.member(CAROL, 'join')))).toBe(`reject ${r.joinOtherwise}`);
    room.members({ [CAROL]: 'invite' });
    expect(outcome(room.auth(room.member(CAROL, 'join')))).toBe('allow');
  });

  it('knock: invited users may join from v7; before, knock is no join rule', () => {
    const room = standardRoom(v).joinRule('knock').members({ [CAROL]: 'invite' });
    expect(outcome(room.auth(room.member(CAROL, 'join')))).toBe(atLeast(v, 7) ? 'allow' : `reject ${r.joinOtherwise}`);
    expect(outcome(room.auth(room.member(DAVE, 'join')))).toBe(`reject ${r.joinOtherwise}`);
  });

  describe('restricted and knock_restricted', () => {
    const restrictedRoom = (rule: string) => standardRoom(v).joinRule(rule, { allow: [{ type: 'm.room_membership', room_id: '!space:a.example' }] });
    const signedBy = (servers: string[]) => ({ hasValidSignatureFrom: (server: string) => servers.includes(server) });
    const cases = [
      { rule: 'restricted', since: 8 },
      { rule: 'knock_restricted', since: 10 },
    ];
    for (const { rule, since } of cases) {
      const supported = atLeast(v, since);

      it(`${rule}: allows a join authorised by a joined user who can invite (v${since}+)`, () => {
        const room = restrictedRoom(rule);
        const join = room.member(CAROL, 'join', { join_authorised_via_users_server: MOD });
        expect(outcome(room.auth(join, signedBy(['c.example', 'a.example'])))).toBe(supported ? 'allow' : `reject ${r.joinOtherwise}`);
      });

      it(`${rule}: allows invited users without an authoriser`, () => {
        const room = restrictedRoom(rule).members({ [CAROL]: 'invite' });
        expect(outcome(room.auth(room.member(CAROL, 'join')))).toBe(supported ? 'allow' : `reject ${r.joinOtherwise}`);
      });

      it(`${rule}: rejects a missing, absent or powerless authoriser`, () => {
        if (!supported) return;
        const room = restrictedRoom(rule);
        const sigs = signedBy(['a.example', 'c.example']);
        const expected = `reject ${r.join}.5.2`;
        expect(outcome(room.auth(room.member(CAROL, 'join'), sigs))).toBe(expected);
        expect(outcome(room.auth(room.member(CAROL, 'join', { join_authorised_via_users_server: DAVE }), sigs))).toBe(expected);
        room.powerLevels({ users: { [MOD]: 50 }, invite: 60 });
        expect(outcome(room.auth(room.member(CAROL, 'join', { join_authorised_via_users_server: MOD }), sigs))).toBe(expected);
        room.members({ [MOD]: 'leave' }).powerLevels({ users: { [MOD]: 50 } });
        expect(outcome(room.auth(room.member(CAROL, 'join', { join_authorised_via_users_server: MOD }), sigs))).toBe(expected);
      });
    }
  });

  it("v8+: join_authorised_via_users_server needs that server's signature, on any membership", () => {
    const room = standardRoom(v);
    const join = room.member(CAROL, 'join', { join_authorised_via_users_server: MOD });
    const sigRule = atLeast(v, 8) ? `reject ${r.sig}` : 'allow';
    expect(outcome(room.auth(join))).toBe(sigRule);
    expect(outcome(room.auth(join, { hasValidSignatureFrom: () => false }))).toBe(sigRule);
    expect(outcome(room.auth(join, { hasValidSignatureFrom: (s) => s === 'a.example' }))).toBe('allow');
    const leave = room.member(BOB, 'leave', { join_authorised_via_users_server: MOD });
    expect(outcome(room.auth(leave, { hasValidSignatureFrom: () => false }))).toBe(sigRule);
    expect(outcome(room.auth(room.member(CAROL, 'join', { join_authorised_via_users_server: 'nobody' })))).toBe(sigRule);
  });

  it("v8+: without the callback, an authoriser on the sender's own server counts as signed", () => {
    const room = standardRoom(v);
    const join = room.member(DAVE, 'join', { join_authorised_via_users_server: MOD });
    expect(outcome(room.auth(join))).toBe('allow');
    const unsigned = { ...join, signatures: {} };
    expect(outcome(room.auth(unsigned))).toBe(atLeast(v, 8) ? `reject ${r.sig}` : 'allow');
  });
});

describe.each(ALL_VERSIONS)('room version %s: invite', (v) => {
  const r = memberRules(v);

  it('allows a joined member at the invite level to invite', () => {
    const room = standardRoom(v);
    expect(outcome(room.auth(room.member(CAROL, 'invite', {}, BOB)))).toBe('allow');
  });

  it('rejects an inviter who is not joined', () => {
    const room = standardRoom(v).members({ [DAVE]: 'invite' });
    expect(outcome(room.auth(room.member(CAROL, 'invite', {}, DAVE)))).toBe(`reject ${r.invite}.2`);
  });

  it('rejects inviting a joined or banned user, allows re-inviting an invited one', () => {
    const room = standardRoom(v).members({ [CAROL]: 'ban', [DAVE]: 'invite' });
    expect(outcome(room.auth(room.member(BOB, 'invite', {}, MOD)))).toBe(`reject ${r.invite}.3`);
    expect(outcome(room.auth(room.member(CAROL, 'invite', {}, MOD)))).toBe(`reject ${r.invite}.3`);
    expect(outcome(room.auth(room.member(DAVE, 'invite', {}, MOD)))).toBe('allow');
  });

  it('rejects an inviter below the invite level', () => {
    const room = standardRoom(v).powerLevels({ users: { [MOD]: 50 }, invite: 50 });
    expect(outcome(room.auth(room.member(CAROL, 'invite', {}, BOB)))).toBe(`reject ${r.invite}.5`);
    expect(outcome(room.auth(room.member(CAROL, 'invite', {}, MOD)))).toBe('allow');
  });
});

describe.each(ALL_VERSIONS)('room version %s: third-party invite', (v) => {
  const r = memberRules(v);
  const t = `${r.invite}.1`;
  const key = signingKeyFromSeed(Buffer.alloc(32, 7), 'tpi');
  const otherKey = signingKeyFromSeed(Buffer.alloc(32, 9), 'tpi');
  const signedBlock = (fields: JsonObject = {}, signer = key) =>
    signJson({ mxid: CAROL, token: 'tok', ...fields }, 'id.example', signer);

  function room(inviteContent: JsonObject = { public_key: encodeUnpaddedBase64(key.publicKey) }, inviteSender = MOD): Room {
    const built = standardRoom(v);
    return built.put(built.event({ type: 'm.room.third_party_invite', sender: inviteSender, state_key: 'tok', content: inviteContent }));
  }
  const invite = (built: Room, thirdPartyInvite: JsonObject | null, sender = MOD) =>
    built.member(CAROL, 'invite', { third_party_invite: thirdPartyInvite }, sender);

  it('allows an invite whose signed block verifies with public_key or any of public_keys', () => {
    expect(outcome(room().auth(invite(room(), { display_name: 'c', signed: signedBlock() })))).toBe('allow');
    const keys = room({ public_keys: [{ public_key: 'not base64!' }, { public_key: encodeUnpaddedBase64(key.publicKey) }] });
    expect(outcome(keys.auth(invite(keys, { signed: signedBlock() })))).toBe('allow');
  });

  it('does not need the sender to be joined or at the invite level', () => {
    const built = room().members({ [MOD]: 'leave' }).powerLevels({ users: {}, invite: 100 });
    expect(outcome(built.auth(invite(built, { signed: signedBlock() })))).toBe('allow');
  });

  it('.1 rejects a banned target', () => {
    const built = room().members({ [CAROL]: 'ban' });
    expect(outcome(built.auth(invite(built, { signed: signedBlock() })))).toBe(`reject ${t}.1`);
  });

  it('.2 rejects a third_party_invite without signed', () => {
    const built = room();
    expect(outcome(built.auth(invite(built, { display_name: 'c' })))).toBe(`reject ${t}.2`);
    expect(outcome(built.auth(invite(built, null)))).toBe(`reject ${t}.2`);
  });

  it('.3 rejects a signed block without mxid or token', () => {
    const built = room();
    expect(outcome(built.auth(invite(built, { signed: signJson({ mxid: CAROL }, 'id.example', key) })))).toBe(`reject ${t}.3`);
    expect(outcome(built.auth(invite(built, { signed: signJson({ token: 'tok' }, 'id.example', key) })))).toBe(`reject ${t}.3`);
    expect(outcome(built.auth(invite(built, { signed: 'nope' })))).toBe(`reject ${t}.3`);
  });

  it('.4 rejects an mxid that is not the state_key', () => {
    const built = room();
    expect(outcome(built.auth(invite(built, { signed: signedBlock({ mxid: DAVE }) })))).toBe(`reject ${t}.4`);
  });

  it('.5 rejects a token with no m.room.third_party_invite', () => {
    const built = room();
    expect(outcome(built.auth(invite(built, { signed: signedBlock({ token: 'other' }) })))).toBe(`reject ${t}.5`);
  });

  it('.6 rejects a sender other than the third-party invite’s sender', () => {
    const built = room();
    expect(outcome(built.auth(invite(built, { signed: signedBlock() }, BOB)))).toBe(`reject ${t}.6`);
  });

  it('.8 rejects a signature by another key, a tampered block, a non-ed25519 key ID, or no keys', () => {
    const built = room();
    expect(outcome(built.auth(invite(built, { signed: signedBlock({}, otherKey) })))).toBe(`reject ${t}.8`);
    const tampered = { ...signedBlock(), extra: 'x' };
    expect(outcome(built.auth(invite(built, { signed: tampered })))).toBe(`reject ${t}.8`);
    const good: JsonObject = signedBlock();
    const renamed = { ...good, signatures: { 'id.example': { 'curve25519:tpi': (good.signatures as Record<string, Record<string, string>>)['id.example']?.['ed25519:tpi'] as string } } };
    expect(outcome(built.auth(invite(built, { signed: renamed })))).toBe(`reject ${t}.8`);
    const revoked = room({});
    expect(outcome(revoked.auth(invite(revoked, { signed: signedBlock() })))).toBe(`reject ${t}.8`);
  });
});

describe.each(ALL_VERSIONS)('room version %s: leave', (v) => {
  const r = memberRules(v);

  it('lets users leave from join or invite, and rescind a knock from v7', () => {
    const room = standardRoom(v).members({ [CAROL]: 'invite', [DAVE]: 'knock' });
    expect(outcome(room.auth(room.member(BOB, 'leave')))).toBe('allow');
    expect(outcome(room.auth(room.member(CAROL, 'leave')))).toBe('allow');
    expect(outcome(room.auth(room.member(DAVE, 'leave')))).toBe(atLeast(v, 7) ? 'allow' : `reject ${r.leave}.1`);
  });

  it('.1 rejects leaving from leave or ban', () => {
    const room = standardRoom(v).members({ [DAVE]: 'ban' });
    expect(outcome(room.auth(room.member(CAROL, 'leave')))).toBe(`reject ${r.leave}.1`);
    expect(outcome(room.auth(room.member(DAVE, 'leave')))).toBe(`reject ${r.leave}.1`);
  });

  it('.2 rejects a kick by a user who is not joined', () => {
    const room = standardRoom(v).members({ [CAROL]: 'invite' });
    expect(outcome(room.auth(room.member(BOB, 'leave', {}, CAROL)))).toBe(`reject ${r.leave}.2`);
  });

  it('.3 rejects an unban below the ban level', () => {
    const room = standardRoom(v).members({ [CAROL]: 'ban' }).powerLevels({ users: { [MOD]: 50 }, ban: 60, kick: 0 });
    expect(outcome(room.auth(room.member(CAROL, 'leave', {}, MOD)))).toBe(`reject ${r.leave}.3`);
    room.powerLevels({ users: { [MOD]: 50 } });
    expect(outcome(room.auth(room.member(CAROL, 'leave', {}, MOD)))).toBe('allow');
  });

  it('.4/.5 kicks need the kick level and more power than the target', () => {
    const room = standardRoom(v);
    expect(outcome(room.auth(room.member(BOB, 'leave', {}, MOD)))).toBe('allow');
    expect(outcome(room.auth(room.member(MOD, 'leave', {}, BOB)))).toBe(`reject ${r.leave}.5`);
    expect(outcome(room.auth(room.member(MOD, 'leave', {}, ALICE)))).toBe('allow');
    expect(outcome(room.auth(room.member(ALICE, 'leave', {}, MOD)))).toBe(`reject ${r.leave}.5`);
    room.powerLevels({ users: { [MOD]: 50, [BOB]: 50 } });
    expect(outcome(room.auth(room.member(BOB, 'leave', {}, MOD)))).toBe(`reject ${r.leave}.5`);
    room.powerLevels({ users: { [MOD]: 50 }, kick: 51 });
    expect(outcome(room.auth(room.member(BOB, 'leave', {}, MOD)))).toBe(`reject ${r.leave}.5`);
  });

  it('v12: an additional creator cannot kick another creator', () => {
    const room = standardRoom(v, { additional_creators: [BOB] });
    expect(outcome(room.auth(room.member(ALICE, 'leave', {}, BOB)))).toBe(v === '12' ? `reject ${r.leave}.5` : `reject ${r.leave}.5`);
    expect(outcome(room.auth(room.member(MOD, 'leave', {}, BOB)))).toBe(v === '12' ? 'allow' : `reject ${r.leave}.5`);
  });
});

describe.each(ALL_VERSIONS)('room version %s: ban', (v) => {
  const r = memberRules(v);

  it('allows a ban at the ban level over a weaker target, also of non-members', () => {
    const room = standardRoom(v);
    expect(outcome(room.auth(room.member(BOB, 'ban', {}, MOD)))).toBe('allow');
    expect(outcome(room.auth(room.member(CAROL, 'ban', {}, MOD)))).toBe('allow');
  });

  it('.1 rejects a ban by a user who is not joined', () => {
    const room = standardRoom(v);
    expect(outcome(room.auth(room.member(BOB, 'ban', {}, CAROL)))).toBe(`reject ${r.ban}.1`);
  });

  it('.3 rejects a ban below the ban level or of an equal or stronger user', () => {
    const room = standardRoom(v);
    expect(outcome(room.auth(room.member(CAROL, 'ban', {}, BOB)))).toBe(`reject ${r.ban}.3`);
    expect(outcome(room.auth(room.member(ALICE, 'ban', {}, MOD)))).toBe(`reject ${r.ban}.3`);
    room.powerLevels({ users: { [MOD]: 50 }, ban: 75 });
    expect(outcome(room.auth(room.member(BOB, 'ban', {}, MOD)))).toBe(`reject ${r.ban}.3`);
  });
});

describe.each(ALL_VERSIONS)('room version %s: knock', (v) => {
  const r = memberRules(v);
  if (!r.knock) {
    it('has no knock membership before v7', () => {
      const room = standardRoom(v).joinRule('knock');
      expect(outcome(room.auth(room.member(CAROL, 'knock')))).toBe(`reject ${r.unknown}`);
    });
    return;
  }
  const k = r.knock;

  it('allows a knock where the join rule is knock', () => {
    const room = standardRoom(v).joinRule('knock').members({ [DAVE]: 'leave' });
    expect(outcome(room.auth(room.member(CAROL, 'knock')))).toBe('allow');
    expect(outcome(room.auth(room.member(DAVE, 'knock')))).toBe('allow');
  });

  it('.1 rejects other join rules (knock_restricted allowed from v10)', () => {
    const room = standardRoom(v);
    expect(outcome(room.auth(room.member(CAROL, 'knock')))).toBe(`reject ${k}.1`);
    room.joinRule('invite');
    expect(outcome(room.auth(room.member(CAROL, 'knock')))).toBe(`reject ${k}.1`);
    room.joinRule('knock_restricted');
    expect(outcome(room.auth(room.member(CAROL, 'knock')))).toBe(atLeast(v, 10) ? 'allow' : `reject ${k}.1`);
  });

  it('.2 rejects knocking for someone else', () => {
    const room = standardRoom(v).joinRule('knock');
    expect(outcome(room.auth(room.member(CAROL, 'knock', {}, BOB)))).toBe(`reject ${k}.2`);
  });

  it('.4 rejects knocking when banned, invited or joined', () => {
    const room = standardRoom(v).joinRule('knock').members({ [CAROL]: 'ban', [DAVE]: 'invite' });
    for (const user of [CAROL, DAVE, BOB]) expect(outcome(room.auth(room.member(user, 'knock')))).toBe(`reject ${k}.4`);
  });
});
