/**
 * The presence privacy setting and how presence looks to a given viewer. See spec/presence-privacy.md.
 * https://spec.matrix.org/v1.19/client-server-api/#presence
 */
import type { PresenceRecord, PresenceState } from '../../storage/index.js';
import type { PresenceContent, PresencePrivacy } from './types.js';

/** NOTSPEC: Parley's own global account data type holding {@link PresencePrivacy}. */
export const PRESENCE_PRIVACY_TYPE = 'org.parley.presence_privacy';

export const NO_PRIVACY: PresencePrivacy = { hide_presence: false, hide_last_seen: false };

/** Reads the account data content; anything but `true` means "not hidden". */
export function parsePresencePrivacy(content: Record<string, unknown> | null): PresencePrivacy {
  if (content === null) return NO_PRIVACY;
  return { hide_presence: content.hide_presence === true, hide_last_seen: content.hide_last_seen === true };
}

/** The timeouts that turn a stored state into the state to show. */
export interface PresenceTimeouts {
  idleAfterMs: number;
  offlineAfterMs: number;
}

/**
 * The state to show now: `online` idle past the timeout reads `unavailable`; anyone neither syncing nor active past
 * the offline timeout reads `offline`. The sweep writes the same result, so readers and the stream agree.
 */
export function effectiveState(record: PresenceRecord, now: number, timeouts: PresenceTimeouts): PresenceState {
  if (record.state === 'offline') return 'offline';
  const lastSeen = Math.max(record.lastActiveTs, record.lastSyncTs ?? Number.NEGATIVE_INFINITY);
  if (now - lastSeen >= timeouts.offlineAfterMs) return 'offline';
  if (record.state === 'online' && now - record.lastActiveTs >= timeouts.idleAfterMs) return 'unavailable';
  return record.state;
}

/**
 * `m.presence` content of `record` as `viewerId` sees it: the owner sees everything; others see it through the
 * owner's privacy setting.
 */
export function presenceContentFor(options: {
  record: PresenceRecord | null;
  viewerId: string;
  privacy: PresencePrivacy;
  now: number;
  timeouts: PresenceTimeouts;
}): PresenceContent {
  const { record, viewerId, privacy, now, timeouts } = options;
  if (record === null) return { presence: 'offline' };
  const isOwner = viewerId === record.userId;
  if (!isOwner && privacy.hide_presence) return { presence: 'offline' };
  const state = effectiveState(record, now, timeouts);
  const content: PresenceContent = { presence: state };
  if (isOwner || !privacy.hide_last_seen) content.last_active_ago = Math.max(0, now - record.lastActiveTs);
  if (record.statusMsg !== null) content.status_msg = record.statusMsg;
  if (state === 'online') content.currently_active = now - record.lastActiveTs < timeouts.idleAfterMs;
  return content;
}
