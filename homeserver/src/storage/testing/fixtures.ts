/** Small builders for storage tests: PDU-shaped events with unique IDs. */
import { randomBytes } from 'node:crypto';
import type { Pdu } from '@parley/federation';
import type { NewEvent } from '../index.js';

/** A random ID with the given sigil, unique enough that suites sharing a database never collide. */
export function uniqueId(sigil: '$' | '!' | '@', server = 'test.example'): string {
  const local = randomBytes(9).toString('base64url');
  return sigil === '$' ? `$${local}` : `${sigil}${local}:${server}`;
}

export interface TestEventOptions {
  roomId: string;
  type?: string;
  stateKey?: string;
  sender?: string;
  depth?: number;
  prevEvents?: string[];
  authEvents?: string[];
  outlier?: boolean;
  rejectedReason?: string | null;
}

/** A v3+-style event (IDs in the edge lists); the hashes and signatures are placeholders. */
export function testEvent(options: TestEventOptions): NewEvent {
  const pdu: Pdu = {
    room_id: options.roomId,
    type: options.type ?? 'm.room.message',
    sender: options.sender ?? '@alice:test.example',
    content: options.type === undefined ? { msgtype: 'm.text', body: 'hello' } : {},
    origin_server_ts: 1_700_000_000_000,
    depth: options.depth ?? 1,
    prev_events: options.prevEvents ?? [],
    auth_events: options.authEvents ?? [],
    hashes: { sha256: 'placeholder' },
    signatures: {},
  };
  if (options.stateKey !== undefined) pdu.state_key = options.stateKey;
  return {
    eventId: uniqueId('$'),
    roomId: options.roomId,
    pdu,
    outlier: options.outlier ?? false,
    rejectedReason: options.rejectedReason ?? null,
  };
}
