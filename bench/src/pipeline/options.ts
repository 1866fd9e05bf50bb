/**
 * Command-line options of the event-pipeline benchmarks:
 * `--only=send,latency` runs some parts (floor is always measured: every ratio needs it);
 * `--quick` runs every part at a smaller size (the names printed say which);
 * `--db=sqlite` or `--db=postgres` measures one database.
 */
import type { TestDialect } from '../../../test/support/start.js';

export const PARTS = ['send', 'latency', 'members', 'rss', 'initial'] as const;
export type Part = (typeof PARTS)[number];

export interface Sizes {
  sequentialSends: number;
  concurrentSenders: number;
  messagesPerSender: number;
  latencySamples: number;
  /** Room sizes at which the cost of a send is measured; the last is the big room. */
  memberSteps: readonly number[];
  sendsPerStep: number;
  /** Sends per room size while every member holds a waiting sync (each send then wakes them all). */
  watchedSendsPerStep: number;
  waitingSyncs: number;
  initialSyncRooms: number;
  trivialRequests: number;
}

export interface BenchOptions {
  parts: ReadonlySet<Part>;
  dialects: readonly TestDialect[];
  sizes: Sizes;
  quick: boolean;
}

const FULL: Sizes = {
  sequentialSends: 300,
  concurrentSenders: 50,
  messagesPerSender: 20,
  latencySamples: 200,
  memberSteps: [10, 100, 1_000],
  sendsPerStep: 30,
  watchedSendsPerStep: 5,
  waitingSyncs: 10_000,
  initialSyncRooms: 1_000,
  trivialRequests: 2_000,
};

const QUICK: Sizes = {
  sequentialSends: 60,
  concurrentSenders: 50,
  messagesPerSender: 4,
  latencySamples: 40,
  memberSteps: [10, 100],
  sendsPerStep: 10,
  watchedSendsPerStep: 3,
  waitingSyncs: 1_000,
  initialSyncRooms: 100,
  trivialRequests: 500,
};

function flag(argv: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const only = flag(argv, 'only')?.split(',').filter((part) => part !== '');
  for (const part of only ?? []) {
    if (!(PARTS as readonly string[]).includes(part)) throw new Error(`--only: unknown part "${part}" (parts: ${PARTS.join(', ')})`);
  }
  const db = flag(argv, 'db');
  const dialects: TestDialect[] = db === 'sqlite' || db === 'postgres' ? [db] : ['sqlite', 'postgres'];
  const quick = argv.includes('--quick');
  return { parts: new Set((only ?? PARTS) as Part[]), dialects, sizes: quick ? QUICK : FULL, quick };
}
