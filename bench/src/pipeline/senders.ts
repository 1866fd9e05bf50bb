/**
 * Send throughput and cost: one sequential sender; 50 concurrent senders in one room; 50 concurrent senders each
 * in a room of its own. Each prints msgs/s, server CPU ms per send and SQL statements per send.
 */
import { createRoom, inBatches, joinRoom, measure, registerFast, sendMessage, type BenchUser, type Cost } from './client.js';
import { vsTrivialCpu, vsTrivialRate, type PartContext } from './context.js';

function printCost(ctx: PartContext, label: string, sends: number, cost: Cost, targets: { rate?: string; cpu?: string } = {}): void {
  ctx.print({ name: `${label}: sends`, value: (sends * 1000) / cost.wallMs, unit: 'msg/s', baseline: vsTrivialRate(ctx.floor), target: targets.rate });
  ctx.print({ name: `${label}: server CPU per send`, value: cost.cpuMs / sends, unit: 'ms', baseline: vsTrivialCpu(ctx.floor), target: targets.cpu });
  ctx.print({ name: `${label}: SQL statements per send`, value: cost.statements / sends, unit: 'stmts' });
}

async function concurrentSends(ctx: PartContext, senders: readonly BenchUser[], roomOf: (index: number) => string): Promise<Cost> {
  const { messagesPerSender } = ctx.sizes;
  return measure(ctx.server, () =>
    Promise.all(
      senders.map(async (user, index) => {
        for (let i = 0; i < messagesPerSender; i++) await sendMessage(ctx.server, user, roomOf(index), `sender ${index} message ${i}`);
      }),
    ),
  );
}

export async function runSenders(ctx: PartContext): Promise<void> {
  const { server, sizes } = ctx;
  const count = sizes.concurrentSenders;
  const senders = await inBatches(Array.from({ length: count }, (_, i) => i), 10, (i) => registerFast(server, `send${i}`));
  const lone = senders[0] as BenchUser;

  const ownRoom = await createRoom(server, lone);
  for (let i = 0; i < 10; i++) await sendMessage(server, lone, ownRoom, `warm-up ${i}`);
  const sequential = await measure(server, async () => {
    for (let i = 0; i < sizes.sequentialSends; i++) await sendMessage(server, lone, ownRoom, `sequential ${i}`);
  });
  printCost(ctx, '1 sequential sender', sizes.sequentialSends, sequential, { rate: '>= 0.3x trivial rate' });

  const shared = await createRoom(server, lone);
  await inBatches(senders.slice(1), 10, (user) => joinRoom(server, user, shared));
  const total = count * sizes.messagesPerSender;
  const oneRoom = await concurrentSends(ctx, senders, () => shared);
  printCost(ctx, `${count} concurrent senders, one room`, total, oneRoom, { cpu: '<= 0.25 ms (SQLite)' });

  const rooms = await inBatches(senders, 10, (user) => createRoom(server, user));
  const spread = await concurrentSends(ctx, senders, (index) => rooms[index] as string);
  printCost(ctx, `${count} concurrent senders, ${count} rooms`, total, spread);
}
