/**
 * The cost of a send as the room grows (10, 100, 1,000 members): sequential sends by one member, first with no
 * one syncing, then with every member holding a waiting /sync (each answer followed by the next long poll, as
 * clients do; the cost then includes answering every woken sync). Prints the ratio largest/smallest.
 */
import { createRoom, initialSinces, inBatches, joinRoom, measure, members, reportSyncFailures, sendMessage, settle, syncLoops, type BenchUser, type Cost } from './client.js';
import { vsTrivialRate, type PartContext } from './context.js';

interface Step {
  members: number;
  quiet: Cost;
  syncing: Cost;
  syncingSendMs: number;
}

async function sends(ctx: PartContext, owner: BenchUser, roomId: string, label: string, count: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i++) await sendMessage(ctx.server, owner, roomId, `${label} ${i}`);
  return performance.now() - start;
}

async function measureStep(ctx: PartContext, users: readonly BenchUser[], roomId: string): Promise<Step> {
  const owner = users[0] as BenchUser;
  const quiet = await measure(ctx.server, () => sends(ctx, owner, roomId, 'quiet', ctx.sizes.sendsPerStep));
  const loops = syncLoops(ctx.server, users, await initialSinces(ctx.server, users));
  await settle(ctx.server);
  let syncingSendMs = 0;
  const syncing = await measure(ctx.server, async () => {
    syncingSendMs = await sends(ctx, owner, roomId, 'watched', ctx.sizes.watchedSendsPerStep);
    await settle(ctx.server);
  });
  await loops.stop();
  reportSyncFailures(loops, `${users.length} members syncing`);
  return { members: users.length, quiet, syncing, syncingSendMs };
}

function printStep(ctx: PartContext, step: Step): void {
  const k = ctx.sizes.sendsPerStep;
  const w = ctx.sizes.watchedSendsPerStep;
  const label = `room of ${step.members} members`;
  ctx.print({ name: `${label}, no syncs: sends`, value: (k * 1000) / step.quiet.wallMs, unit: 'msg/s', baseline: vsTrivialRate(ctx.floor) });
  ctx.print({ name: `${label}, no syncs: server CPU per send`, value: step.quiet.cpuMs / k, unit: 'ms' });
  ctx.print({ name: `${label}, no syncs: SQL statements per send`, value: step.quiet.statements / k, unit: 'stmts' });
  const watched = `${label}, ${step.members} waiting syncs`;
  ctx.print({ name: `${watched}: sends`, value: (w * 1000) / step.syncingSendMs, unit: 'msg/s', baseline: vsTrivialRate(ctx.floor) });
  ctx.print({ name: `${watched}: server CPU per send (syncs answered included)`, value: step.syncing.cpuMs / w, unit: 'ms' });
  ctx.print({ name: `${watched}: SQL statements per send (syncs included)`, value: step.syncing.statements / w, unit: 'stmts' });
}

function printFlatness(ctx: PartContext, first: Step, last: Step): void {
  const sizes = `${last.members}/${first.members} members`;
  const flat = '<= 1.2x (flat within 20%)';
  ctx.print({ name: `cost per send, no syncs, ${sizes}: wall time`, value: last.quiet.wallMs / first.quiet.wallMs, unit: 'x', target: flat });
  ctx.print({ name: `cost per send, no syncs, ${sizes}: server CPU`, value: last.quiet.cpuMs / first.quiet.cpuMs, unit: 'x', target: flat });
  ctx.print({ name: `cost per send with every member syncing, ${sizes}: server CPU`, value: last.syncing.cpuMs / first.syncing.cpuMs, unit: 'x' });
}

export async function runMembers(ctx: PartContext): Promise<void> {
  const steps = ctx.sizes.memberSteps;
  const users = await members(ctx.server, steps[steps.length - 1] as number);
  const owner = users[0] as BenchUser;
  const roomId = await createRoom(ctx.server, owner);
  const results: Step[] = [];
  let joined = 1;
  for (const size of steps) {
    await inBatches(users.slice(joined, size), 10, (user) => joinRoom(ctx.server, user, roomId));
    joined = size;
    const step = await measureStep(ctx, users.slice(0, size), roomId);
    printStep(ctx, step);
    results.push(step);
  }
  printFlatness(ctx, results[0] as Step, results[results.length - 1] as Step);
}
