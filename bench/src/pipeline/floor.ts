/** The floor every figure is compared with: sequential GET /_matrix/client/versions on the same server, same run. */
import { measure, percentile } from './client.js';
import type { Floor, PartContext } from './context.js';

export async function measureFloor(ctx: Omit<PartContext, 'floor'>): Promise<Floor> {
  const url = `${ctx.server.url}/_matrix/client/versions`;
  const trivial = async (): Promise<void> => {
    const response = await fetch(url);
    if (response.status !== 200) throw new Error(`GET /versions: ${response.status}`);
    await response.arrayBuffer();
  };
  for (let i = 0; i < 200; i++) await trivial(); // warm-up: JIT, keep-alive connection
  const latencies: number[] = [];
  const cost = await measure(ctx.server, async () => {
    for (let i = 0; i < ctx.sizes.trivialRequests; i++) {
      const start = performance.now();
      await trivial();
      latencies.push(performance.now() - start);
    }
  });
  latencies.sort((a, b) => a - b);
  const floor = { rate: (ctx.sizes.trivialRequests * 1000) / cost.wallMs, p50Ms: percentile(latencies, 50), cpuMs: cost.cpuMs / ctx.sizes.trivialRequests };
  ctx.print({ name: 'floor: trivial requests (GET /versions, one at a time)', value: floor.rate, unit: 'req/s' });
  ctx.print({ name: 'floor: trivial round trip p50', value: floor.p50Ms, unit: 'ms' });
  ctx.print({ name: 'floor: server CPU per trivial request', value: floor.cpuMs, unit: 'ms' });
  // The kernel's share (loopback socket reads and writes) is the part no server code can remove; the rest of a
  // trivial request's CPU is user space (HTTP parsing, routing, JSON, metrics) and sets the floor a send builds on.
  ctx.print({ name: 'floor: of which kernel (system) CPU', value: cost.systemCpuMs / ctx.sizes.trivialRequests, unit: 'ms' });
  return floor;
}
