/**
 * Server RSS while it holds many waiting /syncs: 10 long polls per user (1,000 users for 10,000 syncs), each on
 * its own keep-alive connection. Both processes need a file descriptor per socket: the count is capped by
 * `ulimit -n` (Node cannot raise it; the shell can, up to the hard limit) and the output says so.
 */
import { execFileSync } from 'node:child_process';
import { initialSinces, members, reportSyncFailures, settle, syncLoops, type BenchUser, type SyncLoops } from './client.js';
import type { PartContext } from './context.js';

const SYNCS_PER_USER = 10;
/** Descriptors kept free for everything that is not a waiting sync's socket. */
const SPARE_DESCRIPTORS = 500;
/** Waiting syncs opened at once before the server is let settle. */
const RAMP = 500;

function openFileLimit(): number {
  const limit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  return Number.isFinite(limit) ? limit : Number.POSITIVE_INFINITY; // "unlimited"
}

export async function runWaitingSyncs(ctx: PartContext): Promise<void> {
  const wanted = ctx.sizes.waitingSyncs;
  const limit = openFileLimit();
  const count = Math.min(wanted, limit - SPARE_DESCRIPTORS);
  if (count < wanted) console.log(`  (ulimit -n is ${limit}: measuring ${count} waiting syncs instead of ${wanted}; raise it with ulimit -n)`);
  const users = await members(ctx.server, Math.ceil(count / SYNCS_PER_USER));
  const sinces = await initialSinces(ctx.server, users);
  const before = await ctx.server.statsAfterGc();
  const pollers = Array.from({ length: count }, (_, i) => users[i % users.length] as BenchUser);
  // Opened RAMP at a time, as clients arrive: 10,000 requests at once overload the server beyond its headers timeout.
  const groups: SyncLoops[] = [];
  for (let start = 0; start < count; start += RAMP) {
    const slice = pollers.slice(start, start + RAMP);
    groups.push(syncLoops(ctx.server, slice, slice.map((_, i) => sinces[(start + i) % users.length] as string)));
    await settle(ctx.server, 60_000);
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const during = await ctx.server.statsAfterGc();
  const answered = groups.reduce((sum, group) => sum + group.answers(), 0);
  for (const group of groups) {
    await group.stop();
    reportSyncFailures(group, 'waiting syncs');
  }
  const mb = (bytes: number): number => bytes / 1024 / 1024;
  ctx.print({ name: 'server RSS before the waiting syncs', value: mb(before.rssBytes), unit: 'MB' });
  ctx.print({ name: `server RSS with ${count} waiting syncs (${users.length} users)`, value: mb(during.rssBytes), unit: 'MB', target: '<= 500 MB for 10,000' });
  ctx.print({ name: `server JS heap used with ${count} waiting syncs (after a GC)`, value: mb(during.heapUsedBytes), unit: 'MB' });
  ctx.print({ name: 'server RSS growth per waiting sync', value: (during.rssBytes - before.rssBytes) / 1024 / count, unit: 'KB' });
  if (answered > 0) console.log(`  (${answered} of the waiting syncs were answered early: the RSS is of fewer waiting)`);
}
