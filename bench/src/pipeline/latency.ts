/** p50/p99 from a send to its arrival in another user's waiting /sync (one probe at a time). */
import { createRoom, joinRoom, percentile, registerFast, sendMessage, syncOnce } from './client.js';
import { vsTrivialP50, type PartContext } from './context.js';

export async function runLatency(ctx: PartContext): Promise<void> {
  const { server } = ctx;
  const sender = await registerFast(server, 'latency-sender');
  const reader = await registerFast(server, 'latency-reader');
  const roomId = await createRoom(server, sender);
  await joinRoom(server, reader, roomId);
  let since = (await syncOnce(server, reader)).next_batch as string;
  const samples: number[] = [];
  for (let i = 0; i < ctx.sizes.latencySamples; i++) {
    const marker = `latency probe ${i}`;
    const arrived = (async () => {
      for (;;) {
        const response = await syncOnce(server, reader, since, 10_000);
        since = response.next_batch as string;
        if (JSON.stringify(response).includes(marker)) return performance.now();
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 10)); // let the sync reach its wait
    const sentAt = performance.now();
    await sendMessage(server, sender, roomId, marker);
    samples.push((await arrived) - sentAt);
  }
  samples.sort((a, b) => a - b);
  const n = samples.length;
  ctx.print({ name: `send -> waiting /sync p50 (${n} probes)`, value: percentile(samples, 50), unit: 'ms', baseline: vsTrivialP50(ctx.floor), target: '<= 2x trivial p50' });
  ctx.print({ name: `send -> waiting /sync p99 (${n} probes)`, value: percentile(samples, 99), unit: 'ms', baseline: vsTrivialP50(ctx.floor), target: '<= 10x trivial p50' });
}
