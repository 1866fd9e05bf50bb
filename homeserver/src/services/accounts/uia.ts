/**
 * User-interactive authentication: flows of stages, a session that remembers completed stages, and the 401
 * response that tells the client what is left.
 * https://spec.matrix.org/v1.19/client-server-api/#user-interactive-authentication-api
 */
import type { JsonObject, JsonValue } from '@parley/federation';
import { MatrixError, type MatrixErrorBody } from '../../matrix-error.js';
import type { Clock } from '../../clock.js';
import type { AccountStore, UiaSessionRecord } from '../../storage/index.js';
import { newSessionId } from './secrets.js';

/** How long a session may take from its first request to its last. */
export const UIA_SESSION_LIFETIME_MS = 60 * 60 * 1000;

/**
 * The 401 of an unfinished UIA: `{ flows, params, session, completed, errcode?, error? }`. Unlike other errors
 * its body has no errcode until a stage failed, because clients (matrix-js-sdk's InteractiveAuth) read an
 * errcode as "the last stage failed" and stop.
 */
export class UiaChallenge extends MatrixError {
  constructor(
    readonly body: JsonObject,
    failure?: { errcode: string; error: string },
  ) {
    super(401, failure?.errcode ?? 'M_UNAUTHORIZED', failure?.error ?? 'Additional authentication is required', {});
  }

  override toJSON(): MatrixErrorBody {
    // The body is what the spec's AuthenticationResponse shows; the cast skips the errcode the type requires.
    return this.body as unknown as MatrixErrorBody;
  }
}

/** What a stage does with the client's `auth` dictionary. */
export interface StageContext {
  session: UiaSessionRecord;
  auth: JsonObject;
}

/**
 * Checks one stage. Resolves with data to remember in the session (or nothing) when it passed, throws a
 * MatrixError (its errcode and message go into the 401) when it did not.
 */
export type StageCheck = (context: StageContext) => Promise<Record<string, string> | void>;

export interface UiaRequest {
  /** e.g. `POST /register`: a session only authorises the operation it began with. */
  operation: string;
  /** The user the session must authenticate, or null (registration). */
  userId: string | null;
  /** The client's `auth` dictionary, if it sent one. */
  auth: JsonObject | undefined;
  flows: readonly (readonly string[])[];
  params?: JsonObject;
  stages: Readonly<Record<string, StageCheck>>;
  /**
   * Runs on every request of an unfinished session before its stages (the first one too), e.g. to remember the
   * request's parameters: what it returns is added to the session's data and kept even when a 401 follows. Its
   * errors reach the client as they are.
   */
  prepare?: (data: Readonly<Record<string, string>>) => Promise<Record<string, string> | void>;
}

/** The finished session: its ID (to claim and complete it) and what its stages recorded. */
export interface UiaResult {
  sessionId: string;
  data: Record<string, string>;
  /** When the request retried a session whose operation already ran: that operation's result, to answer again. */
  replay?: JsonObject;
}

export interface Uia {
  /**
   * Runs the next stage; resolves when a flow is complete, throws {@link UiaChallenge} while one is not. A session
   * whose operation already ran resolves with its result in `replay`: the spec has a retry of a completed session
   * get the result of the API call.
   */
  authenticate(request: UiaRequest): Promise<UiaResult>;
  /**
   * Claims a completed session before the operation it authorised runs: a session authorises one operation, so
   * of concurrent requests completing the same session only one gets past this (400 `M_UNKNOWN` for the others).
   */
  finish(sessionId: string): Promise<void>;
  /** Records the result of the claimed session's operation; retries of the session get it back as `replay`. */
  complete(sessionId: string, result: JsonObject): Promise<void>;
  /** Drops a claimed session whose operation failed. */
  abandon(sessionId: string): Promise<void>;
  /** Deletes expired sessions, handing each to `onExpired` (e.g. to release a pending registration token). */
  expireSessions(onExpired: (session: UiaSessionRecord) => Promise<void>): Promise<void>;
}

export function createUia(store: AccountStore, clock: Clock): Uia {
  /** The session the request names (checked), or a new one, not stored yet. */
  async function loadSession(request: UiaRequest): Promise<{ session: UiaSessionRecord; stored: boolean }> {
    const sessionId = request.auth?.session;
    if (sessionId === undefined) {
      const session: UiaSessionRecord = {
        sessionId: newSessionId(),
        operation: request.operation,
        userId: request.userId,
        completed: [],
        data: {},
        createdTs: clock.now(),
      };
      return { session, stored: false };
    }
    if (typeof sessionId !== 'string') throw new MatrixError(400, 'M_BAD_JSON', 'auth.session must be a string');
    const session = await store.getUiaSession(sessionId);
    if (!session || session.createdTs + UIA_SESSION_LIFETIME_MS < clock.now()) {
      throw new MatrixError(400, 'M_UNKNOWN', 'Unknown or expired user-interactive auth session');
    }
    if (session.operation !== request.operation || session.userId !== request.userId) {
      throw new MatrixError(403, 'M_FORBIDDEN', 'This auth session was started for another operation');
    }
    return { session, stored: true };
  }

  /** Runs `prepare` and stores the session (new) or its new data (existing). */
  async function prepareSession(request: UiaRequest, session: UiaSessionRecord, stored: boolean): Promise<void> {
    const prepared = request.prepare ? await request.prepare(session.data) : undefined;
    if (prepared) session.data = { ...session.data, ...prepared };
    if (!stored) await store.createUiaSession(session);
    else if (prepared) await store.updateUiaSession(session.sessionId, { completed: session.completed, data: session.data });
  }

  return {
    async authenticate(request) {
      const { session, stored } = await loadSession(request);
      if (session.claim !== undefined) {
        if (session.claim.result === null) throw new MatrixError(400, 'M_UNKNOWN', 'This user-interactive auth session is in use');
        return { sessionId: session.sessionId, data: {}, replay: JSON.parse(session.claim.result) as JsonObject };
      }
      await prepareSession(request, session, stored);
      const challenge = (failure?: { errcode: string; error: string }): UiaChallenge =>
        new UiaChallenge(challengeBody(request, session, failure), failure);

      const type = request.auth?.type;
      if (request.auth === undefined || type === undefined) {
        if (flowComplete(request.flows, session.completed)) return { sessionId: session.sessionId, data: session.data };
        throw challenge();
      }
      if (typeof type !== 'string') throw new MatrixError(400, 'M_BAD_JSON', 'auth.type must be a string');
      const check = request.stages[type];
      if (!check || !canRunNext(request.flows, session.completed, type)) {
        throw challenge({ errcode: 'M_UNRECOGNIZED', error: `Authentication stage ${type} is not expected now` });
      }
      let data: Record<string, string> | void;
      try {
        data = await check({ session, auth: request.auth });
      } catch (error) {
        // A rate limit (429) is an answer of its own, not a failed stage: the client must wait, not retry at once.
        // A refusal (403, e.g. the identity of another user) is final too: trying again cannot help.
        if (error instanceof MatrixError && !(error instanceof UiaChallenge) && error.status !== 429 && error.status !== 403) {
          throw challenge({ errcode: error.errcode, error: error.message });
        }
        throw error;
      }
      session.completed = [...session.completed, type];
      session.data = { ...session.data, ...(data ?? {}) };
      await store.updateUiaSession(session.sessionId, { completed: session.completed, data: session.data });
      if (flowComplete(request.flows, session.completed)) return { sessionId: session.sessionId, data: session.data };
      throw challenge();
    },

    async finish(sessionId) {
      if (!(await store.claimUiaSession(sessionId))) {
        throw new MatrixError(400, 'M_UNKNOWN', 'This user-interactive auth session was already used');
      }
    },

    async complete(sessionId, result) {
      await store.completeUiaSession(sessionId, JSON.stringify(result));
    },

    async abandon(sessionId) {
      await store.deleteUiaSession(sessionId);
    },

    async expireSessions(onExpired) {
      const expired = await store.deleteUiaSessionsBefore(clock.now() - UIA_SESSION_LIFETIME_MS);
      // A claimed session's data went to its operation (e.g. its registration token use counts as completed).
      for (const session of expired) if (session.claim === undefined) await onExpired(session);
    },
  };
}

/** The 401 body: the flows, the stage parameters, the session and the stages done so far. */
function challengeBody(
  request: UiaRequest,
  session: UiaSessionRecord,
  failure: { errcode: string; error: string } | undefined,
): JsonObject {
  const body: Record<string, JsonValue> = {
    flows: request.flows.map((stages) => ({ stages: [...stages] })),
    params: request.params ?? {},
    session: session.sessionId,
  };
  // Always present, empty before the first stage: clients (and sytest) read it without checking.
  body.completed = [...session.completed];
  if (failure) {
    body.errcode = failure.errcode;
    body.error = failure.error;
  }
  return body;
}

/** True when `stage` continues some flow whose first stages are exactly those completed. */
function canRunNext(flows: UiaRequest['flows'], completed: readonly string[], stage: string): boolean {
  return flows.some((flow) => startsWith(flow, completed) && flow[completed.length] === stage);
}

function flowComplete(flows: UiaRequest['flows'], completed: readonly string[]): boolean {
  return flows.some((flow) => flow.length === completed.length && startsWith(flow, completed));
}

function startsWith(flow: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= flow.length && prefix.every((stage, index) => flow[index] === stage);
}
