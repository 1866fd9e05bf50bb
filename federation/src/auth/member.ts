/**
 * The `m.room.member` auth rules (rule 5 in v1-v5 and v12, rule 4 in v6-v11).
 * https://spec.matrix.org/v1.19/rooms/v12/#authorization-rules
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json/canonical.js';
import { referencedEventIds } from '../events/pdu.js';
import { verifyJsonSignature } from '../crypto/sign.js';
import { decodeBase64 } from '../crypto/base64.js';
import type { AuthResult } from './types.js';
import { ALLOW, contentOf, createEventIdOf, reject, type AuthContext } from './context.js';
import { domainOf } from './identifiers.js';

/**
 * Applies the membership rules to an `m.room.member` event. Always decides: every branch of the spec's
 * member rule ends in allow or reject.
 */
export function checkMemberEvent(ctx: AuthContext): AuthResult {
  const { event, rules } = ctx;
  const content = contentOf(event);
  const target = event.state_key;
  if (typeof target !== 'string' || content.membership === undefined) {
    return reject(rules.member.shape, 'm.room.member events need a state_key and content.membership');
  }
  if (ctx.version.restrictedJoinsSupported) {
    const signatureCheck = checkAuthorisingServerSignature(ctx, content.join_authorised_via_users_server);
    if (signatureCheck) return signatureCheck;
  }
  switch (content.membership) {
    case 'join':
      return checkJoin(ctx, target, content);
    case 'invite':
      return checkInvite(ctx, target, content);
    case 'leave':
      return checkLeave(ctx, target);
    case 'ban':
      return checkBan(ctx, target);
    case 'knock':
      if (ctx.version.knockingSupported) return checkKnock(ctx, target);
      break;
  }
  return reject(rules.member.unknown, `unknown membership ${JSON.stringify(content.membership)} in this room version`);
}

/** v8+ rule 4.2/5.2: a `join_authorised_via_users_server` must come with that user's server's signature. */
function checkAuthorisingServerSignature(ctx: AuthContext, authoriser: JsonValue | undefined): AuthResult | undefined {
  // Like Synapse, a null value is treated as no authoriser.
  if (authoriser === undefined || authoriser === null) return undefined;
  const rule = ctx.rules.member.authorisingSignature;
  const server = typeof authoriser === 'string' && authoriser.startsWith('@') ? domainOf(authoriser) : undefined;
  if (!server) return reject(rule, 'join_authorised_via_users_server is not a user ID');
  if (!hasSignatureFrom(ctx, server)) {
    return reject(rule, `the event is not signed by ${server}, the server of join_authorised_via_users_server`);
  }
  return undefined;
}

function hasSignatureFrom(ctx: AuthContext, server: string): boolean {
  const { hasValidSignatureFrom } = ctx.input;
  if (hasValidSignatureFrom) return hasValidSignatureFrom(server);
  // Without the callback only the sender's own server can be trusted: the caller verified that signature.
  const signatures = ctx.event.signatures as JsonValue;
  const ownServer = domainOf(ctx.event.sender);
  const bySigner = isJsonObject(signatures) ? signatures[server] : undefined;
  return server === ownServer && isJsonObject(bySigner) && Object.keys(bySigner).length > 0;
}

/** The user whose join straight after the create event is allowed: `content.creator` before v11, else `sender`. */
function originalCreator(ctx: AuthContext): string | undefined {
  if (ctx.version.implicitRoomCreator) return ctx.create.sender;
  const creator = contentOf(ctx.create).creator;
  return typeof creator === 'string' ? creator : undefined;
}

function isCreatorsFirstJoin(ctx: AuthContext, target: string): boolean {
  const prevEvents = referencedEventIds(ctx.event.prev_events);
  if (prevEvents.length !== 1 || target !== originalCreator(ctx)) return false;
  return prevEvents[0] === createEventIdOf(ctx.create, ctx.version);
}

function checkJoin(ctx: AuthContext, target: string, content: JsonObject): AuthResult {
  const { event, version } = ctx;
  const rules = ctx.rules.member.join;
  if (isCreatorsFirstJoin(ctx, target)) return ALLOW;
  if (event.sender !== target) return reject(rules.sender, 'a user can only join as themselves');
  const membership = ctx.membershipOf(target);
  if (membership === 'ban') return reject(rules.banned, `${target} is banned`);
  const joinRule = ctx.joinRule();
  const invitedOrJoined = membership === 'invite' || membership === 'join';
  if (joinRule === 'invite' || (joinRule === 'knock' && version.knockingSupported)) {
    if (invitedOrJoined) return ALLOW;
    return reject(rules.otherwise, `join rule is ${joinRule} and ${target} is not invited`);
  }
  const restricted =
    (joinRule === 'restricted' && version.restrictedJoinsSupported) ||
    (joinRule === 'knock_restricted' && version.knockRestrictedSupported);
  if (restricted) {
    if (invitedOrJoined) return ALLOW;
    return checkRestrictedAuthoriser(ctx, content.join_authorised_via_users_server);
  }
  if (joinRule === 'public') return ALLOW;
  return reject(rules.otherwise, `join rule ${JSON.stringify(joinRule)} does not allow ${target} to join`);
}

/** Restricted join rule: the authorising user must be joined and able to invite. */
function checkRestrictedAuthoriser(ctx: AuthContext, authoriser: JsonValue | undefined): AuthResult {
  const rule = ctx.rules.member.join.restrictedAuthoriser;
  if (typeof authoriser !== 'string') {
    return reject(rule, 'a restricted join without an invite needs join_authorised_via_users_server');
  }
  if (ctx.membershipOf(authoriser) !== 'join') {
    return reject(rule, `the authorising user ${authoriser} is not joined to the room`);
  }
  if (ctx.powerLevelOf(authoriser) < ctx.levels.invite) {
    return reject(rule, `the authorising user ${authoriser} may not invite (power level below ${ctx.levels.invite})`);
  }
  return ALLOW;
}

function checkInvite(ctx: AuthContext, target: string, content: JsonObject): AuthResult {
  const { event } = ctx;
  const rules = ctx.rules.member.invite;
  if (content.third_party_invite !== undefined) return checkThirdPartyInvite(ctx, target, content.third_party_invite);
  if (ctx.membershipOf(event.sender) !== 'join') return reject(rules.senderJoined, `${event.sender} is not joined`);
  const targetMembership = ctx.membershipOf(target);
  if (targetMembership === 'join' || targetMembership === 'ban') {
    return reject(rules.targetState, `${target} cannot be invited: membership is ${targetMembership}`);
  }
  const senderLevel = ctx.powerLevelOf(event.sender);
  if (senderLevel >= ctx.levels.invite) return ALLOW;
  return reject(rules.level, `${event.sender} has power level ${senderLevel}, below the invite level ${ctx.levels.invite}`);
}

function checkThirdPartyInvite(ctx: AuthContext, target: string, invite: JsonValue): AuthResult {
  const rules = ctx.rules.member.invite;
  if (ctx.membershipOf(target) === 'ban') return reject(rules.banned, `${target} is banned`);
  if (!isJsonObject(invite) || invite.signed === undefined) {
    return reject(rules.noSigned, 'content.third_party_invite has no signed property');
  }
  const signed = invite.signed;
  if (!isJsonObject(signed) || typeof signed.mxid !== 'string' || typeof signed.token !== 'string') {
    return reject(rules.signedFields, 'third_party_invite.signed needs string mxid and token');
  }
  if (signed.mxid !== target) return reject(rules.mxid, `signed.mxid ${signed.mxid} is not the state_key ${target}`);
  const inviteEvent = ctx.stateEvent('m.room.third_party_invite', signed.token);
  if (!inviteEvent) return reject(rules.noInviteEvent, `no m.room.third_party_invite with token ${signed.token}`);
  if (inviteEvent.sender !== ctx.event.sender) {
    return reject(rules.inviteSender, `the third-party invite was sent by ${inviteEvent.sender}, not ${ctx.event.sender}`);
  }
  if (signedByAnyKey(signed, inviteKeys(contentOf(inviteEvent)))) return ALLOW;
  return reject(rules.signature, 'no signature in third_party_invite.signed matches a public key of the invite');
}

/** The public keys of an `m.room.third_party_invite`: `public_key` and each `public_keys[].public_key`. */
function inviteKeys(content: JsonObject): Uint8Array[] {
  const encoded: string[] = [];
  if (typeof content.public_key === 'string') encoded.push(content.public_key);
  if (Array.isArray(content.public_keys)) {
    for (const entry of content.public_keys) {
      if (isJsonObject(entry) && typeof entry.public_key === 'string') encoded.push(entry.public_key);
    }
  }
  const keys: Uint8Array[] = [];
  for (const text of encoded) {
    try {
      const key = decodeBase64(text);
      if (key.length === 32) keys.push(key);
    } catch {
      // An undecodable key matches no signature.
    }
  }
  return keys;
}

/** True when any ed25519 signature in `signed.signatures` verifies with any of `keys`. */
function signedByAnyKey(signed: JsonObject, keys: readonly Uint8Array[]): boolean {
  const signatures = signed.signatures;
  if (!isJsonObject(signatures)) return false;
  for (const [server, byKey] of Object.entries(signatures)) {
    if (!isJsonObject(byKey)) continue;
    for (const keyId of Object.keys(byKey)) {
      if (!keyId.startsWith('ed25519:')) continue;
      if (keys.some((key) => verifyJsonSignature(signed, server, keyId, key).ok)) return true;
    }
  }
  return false;
}

function checkLeave(ctx: AuthContext, target: string): AuthResult {
  const { event, version } = ctx;
  const rules = ctx.rules.member.leave;
  if (event.sender === target) {
    const membership = ctx.membershipOf(target);
    const canLeave =
      membership === 'invite' || membership === 'join' || (membership === 'knock' && version.knockingSupported);
    return canLeave ? ALLOW : reject(rules.self, `${target} cannot leave from membership ${membership}`);
  }
  if (ctx.membershipOf(event.sender) !== 'join') return reject(rules.senderJoined, `${event.sender} is not joined`);
  const senderLevel = ctx.powerLevelOf(event.sender);
  if (ctx.membershipOf(target) === 'ban' && senderLevel < ctx.levels.ban) {
    return reject(rules.banned, `unbanning needs the ban level ${ctx.levels.ban}; ${event.sender} has ${senderLevel}`);
  }
  const targetLevel = ctx.powerLevelOf(target);
  if (senderLevel >= ctx.levels.kick && targetLevel < senderLevel) return ALLOW;
  return reject(
    rules.otherwise,
    `kicking needs the kick level ${ctx.levels.kick} and more power than the target: ${event.sender} has ${senderLevel}, ${target} has ${targetLevel}`,
  );
}

function checkBan(ctx: AuthContext, target: string): AuthResult {
  const { event } = ctx;
  const rules = ctx.rules.member.ban;
  if (ctx.membershipOf(event.sender) !== 'join') return reject(rules.senderJoined, `${event.sender} is not joined`);
  const senderLevel = ctx.powerLevelOf(event.sender);
  const targetLevel = ctx.powerLevelOf(target);
  if (senderLevel >= ctx.levels.ban && targetLevel < senderLevel) return ALLOW;
  return reject(
    rules.otherwise,
    `banning needs the ban level ${ctx.levels.ban} and more power than the target: ${event.sender} has ${senderLevel}, ${target} has ${targetLevel}`,
  );
}

function checkKnock(ctx: AuthContext, target: string): AuthResult {
  const { event, version } = ctx;
  const rules = ctx.rules.member.knock;
  const joinRule = ctx.joinRule();
  if (!(joinRule === 'knock' || (joinRule === 'knock_restricted' && version.knockRestrictedSupported))) {
    return reject(rules.joinRule, `join rule ${JSON.stringify(joinRule)} does not allow knocking`);
  }
  if (event.sender !== target) return reject(rules.sender, 'a user can only knock as themselves');
  const membership = ctx.membershipOf(target);
  if (membership !== 'ban' && membership !== 'invite' && membership !== 'join') return ALLOW;
  return reject(rules.otherwise, `${target} cannot knock from membership ${membership}`);
}
