/**
 * Reports of events, rooms and users, stored for the server's admins.
 * https://spec.matrix.org/v1.19/client-server-api/#reporting-content
 */
import { isValidRoomId, parseUserId } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { StoredReport } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import type { ProfileCallbacks } from './types.js';

/** What the reporter says. `score` only comes from clients older than v1.18. */
export interface ReportInput {
  reason?: string;
  score?: number;
}

/**
 * Longest `reason` kept with a report, in UTF-16 code units.
 * NOTSPEC: the spec sets no length; a report is for an admin to read, and without a bound one account could store
 * 10 MiB per report.
 */
export const MAX_REPORT_REASON_LENGTH = 10_000;

export interface Reports {
  reportEvent(reporterId: string, roomId: string, eventId: string, input: ReportInput): Promise<void>;
  reportRoom(reporterId: string, roomId: string, input: ReportInput): Promise<void>;
  reportUser(reporterId: string, userId: string, input: ReportInput): Promise<void>;
  listReports(options: { limit: number; beforeId?: number }): Promise<StoredReport[]>;
}

export function createReports(deps: CoreDeps, callbacks: ProfileCallbacks): Reports {
  const { storage, clock } = deps;
  const log = deps.logger.child({ component: 'reports' });

  async function store(report: {
    kind: 'event' | 'room' | 'user';
    reporterId: string;
    roomId?: string;
    eventId?: string;
    targetUserId?: string;
    input: ReportInput;
  }): Promise<void> {
    const reason = report.input.reason;
    if (reason !== undefined && reason.length > MAX_REPORT_REASON_LENGTH) {
      throw new MatrixError(400, 'M_TOO_LARGE', `A report's reason may be at most ${MAX_REPORT_REASON_LENGTH} characters`);
    }
    const reportId = await storage.userData.addReport({
      kind: report.kind,
      reporterId: report.reporterId,
      roomId: report.roomId ?? null,
      eventId: report.eventId ?? null,
      targetUserId: report.targetUserId ?? null,
      reason: report.input.reason ?? null,
      score: report.input.score ?? null,
      receivedTs: clock.now(),
    });
    log.info({ reportId, kind: report.kind, reporterId: report.reporterId }, 'content reported');
  }

  async function roomKnown(roomId: string): Promise<boolean> {
    if (!isValidRoomId(roomId)) return false;
    if (callbacks.rooms) return (await callbacks.rooms.getRoomVersion(roomId)) !== null;
    return (await storage.rooms.getRoom(roomId)) !== null;
  }

  return {
    async reportEvent(reporterId, roomId, eventId, input) {
      // One answer for "no such event" and "not joined", so a report cannot probe rooms the reporter is not in.
      const notFound = new MatrixError(404, 'M_NOT_FOUND', 'The event was not found or you are not joined to the room');
      if (!isValidRoomId(roomId) || callbacks.rooms === undefined) throw notFound;
      const joined = await callbacks.rooms.joinedRooms(reporterId);
      if (!joined.includes(roomId)) throw notFound;
      const [event] = await storage.events.getEvents([eventId]);
      if (event === undefined || event.roomId !== roomId || event.outlier || event.rejectedReason !== null) throw notFound;
      await store({ kind: 'event', reporterId, roomId, eventId, targetUserId: event.sender, input });
    },

    async reportRoom(reporterId, roomId, input) {
      // The reporter need not be joined (the spec forbids requiring it).
      if (!(await roomKnown(roomId))) throw new MatrixError(404, 'M_NOT_FOUND', 'The room was not found');
      await store({ kind: 'room', reporterId, roomId, input });
    },

    async reportUser(reporterId, userId, input) {
      const parts = parseUserId(userId, { historical: true });
      if (parts === undefined) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid user ID');
      // Remote users are accepted as they are: the spec allows a 200 whether or not the user exists.
      if (parts.serverName === deps.serverName) {
        const exists = callbacks.userExists ? await callbacks.userExists(userId) : (await storage.userData.getProfile(userId)) !== null;
        if (!exists) throw new MatrixError(404, 'M_NOT_FOUND', 'The user was not found');
      }
      await store({ kind: 'user', reporterId, targetUserId: userId, input });
    },

    listReports: (options) => storage.userData.listReports(options),
  };
}
