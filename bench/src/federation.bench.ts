/**
 * Protocol-core benchmarks: how many events per second one core can hash, sign and derive IDs for, and how long
 * state resolution takes for a 10,000-state-event room with 100 conflicting events.
 */
import {
  buildEvent,
  generateSigningKey,
  getRoomVersion,
  resolveState,
  verifyJsonSignature,
  checkContentHash,
  type RoomVersion,
} from '@parley/federation';
import { buildLargeRoom, IndexedMemoryStateResStore } from '@parley/federation/testing';
import { formatMeasurement, opsPerSecond, timeMs, type Measurement } from './report.js';

const signer = { serverName: 'bench.example', key: generateSigningKey('bench') };

function buildMessage(version: RoomVersion, index: number) {
  return buildEvent({
    roomVersion: version,
    signer,
    template: {
      type: 'm.room.message',
      room_id: '!bench:bench.example',
      sender: '@alice:bench.example',
      content: { msgtype: 'm.text', body: `message number ${index} with a little text to hash` },
      prev_events: ['$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'],
      auth_events: ['$bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', '$ccccccccccccccccccccccccccccccccccccccccccc'],
      depth: 10 + index,
      origin_server_ts: 1_700_000_000_000 + index,
    },
  });
}

async function signingThroughput(): Promise<Measurement[]> {
  const version = getRoomVersion('12');
  let index = 0;
  const built = await opsPerSecond(() => buildMessage(version, index++), { batch: 200 });
  const sample = buildMessage(version, 1).pdu;
  const verified = await opsPerSecond(() => {
    verifyJsonSignature(sample, signer.serverName, signer.key.keyId, signer.key.publicKey);
    checkContentHash(sample, version);
  }, { batch: 200 });
  return [
    { name: 'events built (content hash + ed25519 sign + event ID), room v12', value: built, unit: 'events/s per core' },
    { name: 'events checked (content hash + ed25519 verify), room v12', value: verified, unit: 'events/s per core' },
  ];
}

async function stateResolution(versionId: string): Promise<Measurement[]> {
  const version = getRoomVersion(versionId);
  const buildStart = process.hrtime.bigint();
  const { room, stateSets } = buildLargeRoom({ version, members: 10_000, conflicts: 100 });
  const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
  const store = IndexedMemoryStateResStore.from(room.store);
  await resolveState({ roomVersion: version, stateSets, store }); // warm-up (JIT)
  const runs = 5;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    times.push(await timeMs(() => resolveState({ roomVersion: version, stateSets, store: room.store })));
  }
  const indexedTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    indexedTimes.push(await timeMs(() => resolveState({ roomVersion: version, stateSets, store })));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const stateSize = stateSets[0]?.size ?? 0;
  const plain = median(times);
  return [
    { name: `room v${versionId}: fixture build (${stateSize} state events, 100 conflicting)`, value: buildMs, unit: 'ms' },
    { name: `room v${versionId}: state resolution, plain store (median of ${runs})`, value: plain, unit: 'ms' },
    {
      name: `room v${versionId}: state resolution, store with auth-chain index (median of ${runs})`,
      value: median(indexedTimes),
      unit: 'ms',
      baseline: { name: 'plain store', value: plain },
    },
  ];
}

export async function runFederationBench(): Promise<void> {
  console.log('federation core');
  for (const measurement of await signingThroughput()) console.log(formatMeasurement(measurement));
  for (const versionId of ['11', '12']) {
    for (const measurement of await stateResolution(versionId)) console.log(formatMeasurement(measurement));
  }
}
