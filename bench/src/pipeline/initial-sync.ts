/** Initial /sync (no filter, as a new client's first sync) of a user in 1,000 rooms, each with a name and a message. */
import { createRoom, inBatches, measure, registerFast, sendMessage, type Cost } from './client.js';
import { call } from '../http.js';
import { vsTrivialP50, type PartContext } from './context.js';

export async function runInitialSync(ctx: PartContext): Promise<void> {
  const { server } = ctx;
  const rooms = ctx.sizes.initialSyncRooms;
  const user = await registerFast(server, 'many-rooms');
  await inBatches(Array.from({ length: rooms }, (_, i) => i), 10, async (i) => {
    const roomId = await createRoom(server, user, { name: `room ${i}` });
    await sendMessage(server, user, roomId, `hello room ${i}`);
  });
  const runs: Cost[] = [];
  for (let run = 0; run < 3; run++) runs.push(await measure(server, () => call(server, user, 'GET', '/sync')));
  const median = runs.sort((a, b) => a.wallMs - b.wallMs)[1] as Cost;
  ctx.print({ name: `initial /sync, user in ${rooms} rooms (median of 3)`, value: median.wallMs, unit: 'ms', baseline: vsTrivialP50(ctx.floor), target: '<= 300 ms for 1,000 rooms' });
  ctx.print({ name: `initial /sync, user in ${rooms} rooms: server CPU`, value: median.cpuMs, unit: 'ms' });
  ctx.print({ name: `initial /sync, user in ${rooms} rooms: SQL statements`, value: median.statements, unit: 'stmts' });
}
