/**
 * The Redis notifier: carries "stream X advanced to N" between the processes of one deployment over Redis
 * pub/sub. Every process publishes to one channel and subscribes to it, so a process hears its own advances
 * the same way it hears everyone else's (one delivery path, no local shortcut to keep in step).
 */
import { Redis } from 'ioredis';
import { STREAM_NAMES, type StreamName } from '../storage/index.js';
import { INVALIDATION_TOPICS, type Invalidation, type InvalidationListener, type Notifier, type StreamAdvance, type StreamListener } from './index.js';

/** What {@link createRedisNotifier} needs. */
export interface RedisNotifierOptions {
  /** `redis://host:6379` or `rediss://…`. */
  url: string;
  /**
   * Prepended to the channel name, so deployments (or test runs) sharing one Redis stay apart,
   * e.g. `parley:example.org:`.
   */
  prefix: string;
  /** Told about malformed messages and connection errors; nothing is thrown at publishers for them. */
  onError?: (error: Error) => void;
}

const KNOWN_STREAMS: ReadonlySet<string> = new Set<StreamName>(STREAM_NAMES);
const KNOWN_TOPICS: ReadonlySet<string> = new Set<string>(INVALIDATION_TOPICS);

/** The one channel every process of a deployment publishes advances on. */
export function advanceChannel(prefix: string): string {
  return `${prefix}stream-advances`;
}

/** The channel cache invalidations travel on. */
export function invalidationChannel(prefix: string): string {
  return `${prefix}invalidations`;
}

/**
 * Connects to Redis (a publishing and a subscribing connection) and resolves once the subscription is
 * confirmed, so nothing published after this resolves is missed by this process.
 */
export async function createRedisNotifier(options: RedisNotifierOptions): Promise<Notifier> {
  const channel = advanceChannel(options.prefix);
  const invalidations = invalidationChannel(options.prefix);
  const onError = options.onError ?? (() => undefined);
  const connectionOptions = { lazyConnect: true, maxRetriesPerRequest: 3 };
  const publisher = new Redis(options.url, connectionOptions);
  const subscriber = new Redis(options.url, connectionOptions);
  publisher.on('error', onError);
  subscriber.on('error', onError);

  const listeners = new Set<StreamListener>();
  const invalidationListeners = new Set<InvalidationListener>();
  subscriber.on('message', (from: string, message: string) => {
    if (from === invalidations) {
      const invalidation = decodeInvalidation(message);
      if (invalidation) for (const listener of [...invalidationListeners]) listener(invalidation);
      else onError(new Error(`ignoring a malformed invalidation on ${invalidations}`));
      return;
    }
    if (from !== channel) return;
    const advance = decodeAdvance(message);
    if (!advance) {
      onError(new Error(`ignoring a malformed stream advance on ${channel}`));
      return;
    }
    for (const listener of [...listeners]) listener(advance);
  });

  try {
    await Promise.all([publisher.connect(), subscriber.connect()]);
    await subscriber.subscribe(channel, invalidations);
  } catch (error) {
    publisher.disconnect();
    subscriber.disconnect();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    async publish(advance) {
      if (closing) return;
      try {
        await publisher.publish(channel, encodeAdvance(advance));
      } catch (error) {
        // The write already committed: a lost wake-up only delays waiting syncs until their timeout.
        onError(error instanceof Error ? error : new Error(String(error)));
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async publishInvalidation(invalidation) {
      if (closing) return;
      try {
        await publisher.publish(invalidations, JSON.stringify({ t: invalidation.topic, k: invalidation.keys }));
      } catch (error) {
        // Caches that miss it stay stale only for their own bound (e.g. the token cache's TTL).
        onError(error instanceof Error ? error : new Error(String(error)));
      }
    },
    subscribeInvalidations(listener) {
      invalidationListeners.add(listener);
      return () => invalidationListeners.delete(listener);
    },
    close() {
      closing ??= (async () => {
        listeners.clear();
        invalidationListeners.clear();
        // QUIT lets Redis drop the subscription at once; disconnect() is the fallback for a dead link.
        await Promise.allSettled([subscriber.quit(), publisher.quit()]);
        subscriber.disconnect();
        publisher.disconnect();
      })();
      return closing;
    },
  };
}

/** The wire form: compact JSON with only the fields that are set. */
export function encodeAdvance(advance: StreamAdvance): string {
  return JSON.stringify({
    s: advance.stream,
    p: advance.position,
    ...(advance.userIds && advance.userIds.length > 0 ? { u: advance.userIds } : {}),
    ...(advance.roomIds && advance.roomIds.length > 0 ? { r: advance.roomIds } : {}),
  });
}

/** Parses the wire form; null for anything that is not a well-formed advance (another version, garbage). */
export function decodeAdvance(message: string): StreamAdvance | null {
  const value = parseObject(message);
  if (value === null) return null;
  const { s, p, u, r } = value;
  if (typeof s !== 'string' || !KNOWN_STREAMS.has(s)) return null;
  if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 0) return null;
  const userIds = stringList(u);
  const roomIds = stringList(r);
  if (userIds === null || roomIds === null) return null;
  return {
    stream: s as StreamName,
    position: p,
    ...(userIds ? { userIds } : {}),
    ...(roomIds ? { roomIds } : {}),
  };
}

/** A message's JSON object, or null when it is not JSON or not an object. */
function parseObject(message: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(message);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** undefined when absent, null when malformed. */
function stringList(value: unknown): string[] | undefined | null {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) return null;
  return value as string[];
}

/** Parses an invalidation's wire form `{"t": topic, "k": [keys]}`; null when malformed or of an unknown topic. */
export function decodeInvalidation(message: string): Invalidation | null {
  const value = parseObject(message);
  if (value === null) return null;
  const { t, k } = value;
  if (typeof t !== 'string' || !KNOWN_TOPICS.has(t)) return null;
  const keys = stringList(k);
  if (!keys) return null;
  return { topic: t as Invalidation['topic'], keys };
}
