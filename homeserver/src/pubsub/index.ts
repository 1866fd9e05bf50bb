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

export interface Notifier {
  /** Publishes after the write that caused it committed. Resolves once handed to the transport. */
  publish(advance: StreamAdvance): Promise<void>;
  /** Registers a listener for every advance (of every process); returns the unsubscribe function. */
  subscribe(listener: StreamListener): () => void;
  /** Stops delivering and releases connections. */
  close(): Promise<void>;
}
