/**
 * The `register` rate limit, per client address: it counts only what an attacker gains from, an account created
 * or a failed auth stage (a guessed registration token). Flow discovery (`POST /register` without `auth`), the UIA
 * rounds between stages and `GET /register/available` while the user types are left to the route's far more
 * generous `registration_requests` limit: Element makes several of them before the real registration, and
 * counting them here made a person's first sign-up hit 429.
 * https://spec.matrix.org/v1.19/client-server-api/#rate-limiting
 */
import type { StageCheck } from './uia.js';
import type { AttemptLimiter, RequestOrigin } from './types.js';

/** One registration request's point of the limit: taken at most once, given back unless it was kept. */
export interface RegistrationCharge {
  /** Takes the point (429 `M_LIMIT_EXCEEDED` when over the limit); a second call does nothing. */
  take(): Promise<void>;
  /** Keeps the point for good: the account was created. */
  keep(): void;
  /** Wraps a stage so that its failure keeps the point (guesses add up); it still throws as before. */
  keepOnFailure(stage: StageCheck): StageCheck;
  /** Gives the point back unless kept; call once the request is over, whatever its outcome. */
  settle(): Promise<void>;
}

/** The limiter key of an address; requests whose address is unknown share one. */
function keyOf(origin: RequestOrigin): string {
  return `ip:${origin.ip ?? 'unknown'}`;
}

// NOTSPEC: the spec leaves rate limits to the server; which registration requests count is our choice (notspec.md).
export function chargeRegistration(limiter: AttemptLimiter, origin: RequestOrigin): RegistrationCharge {
  const key = keyOf(origin);
  let taken = false;
  let kept = false;
  const keep = (): void => {
    kept = true;
  };
  return {
    async take() {
      if (taken) return;
      await limiter.take(key);
      taken = true;
    },
    keep,
    keepOnFailure(stage) {
      return async (context) => {
        try {
          return await stage(context);
        } catch (error) {
          keep();
          throw error;
        }
      };
    },
    async settle() {
      if (taken && !kept) await limiter.refund(key);
      taken = false;
    },
  };
}

/** True when the request's `auth` names a stage to run (so the request may complete registration or fail a stage). */
export function runsStage(auth: Record<string, unknown> | undefined): boolean {
  return auth !== undefined && auth.type !== undefined;
}
