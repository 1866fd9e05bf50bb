/**
 * The notifier: "stream X advanced to N for these users/rooms". A write commits, then publishes; waiting
 * `/sync` requests wake and read from storage. The in-process implementation is the embedded default; Redis
 * carries the same messages between the processes of one deployment.
 */
import type { StreamName } from '../storage/index.js';

/** One wake-up: which stream moved, to where, and whom it concerns. */
export interface StreamAdvance {
  stream: StreamName;
  position: number;
  /** Users whose sync the change concerns directly (to-device, account data, invites...). */
  userIds?: readonly string[];
  /** Rooms the change happened in: everyone joined to them is concerned. */
  roomIds?: readonly string[];
}

export type StreamListener = (advance: StreamAdvance) => void;

/** Caches that other processes must drop entries of when this process changes what they hold. */
export const INVALIDATION_TOPICS = ['access-tokens', 'lazy-members', 'lazy-members-device'] as const;
export type InvalidationTopic = (typeof INVALIDATION_TOPICS)[number];

/**
 * "Forget these keys of this cache": published after the change that made them stale committed. Every process,
 * the publisher included, hears it. Keys are the cache's own (a user ID, `roomId|userId`, a device key...).
 */
export interface Invalidation {
  topic: InvalidationTopic;
  keys: readonly string[];
}

export type InvalidationListener = (invalidation: Invalidation) => void;

export interface Notifier {
  /** Publishes after the write that caused it committed. Resolves once handed to the transport. */
  publish(advance: StreamAdvance): Promise<void>;
  /** Registers a listener for every advance (of every process); returns the unsubscribe function. */
  subscribe(listener: StreamListener): () => void;
  /**
   * Publishes a cache invalidation to every process. Resolves once handed to the transport (Redis: once Redis
   * accepted it, by then it is on its way to every subscriber).
   */
  publishInvalidation(invalidation: Invalidation): Promise<void>;
  /** Registers a listener for every invalidation (of every process); returns the unsubscribe function. */
  subscribeInvalidations(listener: InvalidationListener): () => void;
  /** Stops delivering and releases connections. */
  close(): Promise<void>;
}
