/**
 * The numbers each room version gives its auth rules, so a rejection names the rule as that version's page
 * does (numbering shifts when versions add or drop rules). Numbers are as the spec pages render them.
 * https://spec.matrix.org/v1.19/rooms/
 */
import type { RoomVersion } from '../room-versions/table.js';

/** Top-level and sub-rule numbers for one room version. */
export interface RuleNumbers {
  create: { prevEvents: string; roomId: string; roomVersion: string; creator: string; additionalCreators: string };
  /** v12 rule 2: the room ID is the create event's ID. */
  roomIdIsCreate: string;
  authEvents: { duplicate: string; selection: string; rejected: string; noCreate: string; roomId: string };
  federate: string;
  aliases: { stateKey: string; domain: string };
  member: MemberRuleNumbers;
  senderJoined: string;
  thirdPartyInvite: string;
  requiredPower: string;
  stateKeyAt: string;
  powerLevels: PowerLevelRuleNumbers;
  redaction: string;
}

export interface MemberRuleNumbers {
  shape: string;
  authorisingSignature: string;
  join: {
    sender: string;
    banned: string;
    invite: string;
    restrictedAuthoriser: string;
    otherwise: string;
  };
  invite: {
    banned: string;
    noSigned: string;
    signedFields: string;
    mxid: string;
    noInviteEvent: string;
    inviteSender: string;
    signature: string;
    senderJoined: string;
    targetState: string;
    level: string;
  };
  leave: { self: string; senderJoined: string; banned: string; otherwise: string };
  ban: { senderJoined: string; otherwise: string };
  knock: { joinRule: string; sender: string; otherwise: string };
  unknown: string;
}

export interface PowerLevelRuleNumbers {
  integers: string;
  maps: string;
  users: string;
  creators: string;
  levels: string;
  eventsRemoved: string;
  eventsAdded: string;
  usersRemoved: string;
  usersAdded: string;
}

function memberNumbers(base: number, version: RoomVersion): MemberRuleNumbers {
  let next = version.restrictedJoinsSupported ? 3 : 2;
  const sub = () => `${base}.${next++}`;
  const join = sub();
  const invite = sub();
  const leave = sub();
  const ban = sub();
  const knock = version.knockingSupported ? sub() : `${base}.-`;
  const unknown = sub();
  const publicRule = version.restrictedJoinsSupported ? 6 : 5;
  return {
    shape: `${base}.1`,
    authorisingSignature: `${base}.2`,
    join: {
      sender: `${join}.2`,
      banned: `${join}.3`,
      invite: `${join}.4`,
      restrictedAuthoriser: `${join}.5.2`,
      otherwise: `${join}.${publicRule + 1}`,
    },
    invite: {
      banned: `${invite}.1.1`,
      noSigned: `${invite}.1.2`,
      signedFields: `${invite}.1.3`,
      mxid: `${invite}.1.4`,
      noInviteEvent: `${invite}.1.5`,
      inviteSender: `${invite}.1.6`,
      signature: `${invite}.1.8`,
      senderJoined: `${invite}.2`,
      targetState: `${invite}.3`,
      level: `${invite}.5`,
    },
    leave: { self: `${leave}.1`, senderJoined: `${leave}.2`, banned: `${leave}.3`, otherwise: `${leave}.5` },
    ban: { senderJoined: `${ban}.1`, otherwise: `${ban}.3` },
    knock: { joinRule: `${knock}.1`, sender: `${knock}.2`, otherwise: `${knock}.4` },
    unknown,
  };
}

function powerLevelNumbers(base: number, version: RoomVersion): PowerLevelRuleNumbers {
  let next = version.integerOnlyPowerLevels ? 3 : 1;
  const sub = () => `${base}.${next++}`;
  const users = sub();
  const creators = version.privilegedCreators ? sub() : `${base}.-`;
  next++; // "If there is no previous m.room.power_levels event in the room, allow."
  return {
    integers: `${base}.1`,
    maps: `${base}.2`,
    users,
    creators,
    levels: sub(),
    eventsRemoved: sub(),
    eventsAdded: sub(),
    usersRemoved: sub(),
    usersAdded: sub(),
  };
}

function computeRuleNumbers(version: RoomVersion): RuleNumbers {
  const v12 = version.roomIdIsCreateEventHash;
  const authEvents = v12 ? 3 : 2;
  const federate = authEvents + 1;
  const member = federate + (version.specialCaseAliasesAuth ? 2 : 1);
  return {
    create: {
      prevEvents: '1.1',
      roomId: '1.2',
      roomVersion: '1.3',
      creator: '1.4',
      additionalCreators: '1.4',
    },
    roomIdIsCreate: '2',
    authEvents: {
      duplicate: `${authEvents}.1`,
      selection: `${authEvents}.2`,
      rejected: `${authEvents}.3`,
      noCreate: `${authEvents}.4`,
      // v12 drops the "no m.room.create" rule, so its room ID rule renders as 3.4.
      roomId: v12 ? `${authEvents}.4` : `${authEvents}.5`,
    },
    federate: `${federate}`,
    aliases: { stateKey: '4.1', domain: '4.2' },
    member: memberNumbers(member, version),
    senderJoined: `${member + 1}`,
    thirdPartyInvite: `${member + 2}`,
    requiredPower: `${member + 3}`,
    stateKeyAt: `${member + 4}`,
    powerLevels: powerLevelNumbers(member + 5, version),
    redaction: `${member + 6}.3`,
  };
}

const cache = new Map<string, RuleNumbers>();

/** The rule numbers of `version`'s auth rules. */
export function ruleNumbers(version: RoomVersion): RuleNumbers {
  let numbers = cache.get(version.id);
  if (!numbers) cache.set(version.id, (numbers = computeRuleNumbers(version)));
  return numbers;
}
