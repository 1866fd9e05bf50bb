/**
 * Expands a /sendToDevice request into one message per existing local device, with the devices of all its users
 * looked up in batches (event loop yielded between them), and bounds what `*` may multiply.
 * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3sendtodeviceeventtypetxnid
 */
import { parseUserId } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { ToDeviceMessageRecord } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import { inChunks } from '../yield.js';
import type { ToDeviceCallbacks, ToDeviceMessages } from './types.js';

/** The device ID that means "every device of the user". */
const ALL_DEVICES = '*';

/** JSON punctuation a device entry costs when written out: quotes, colon and comma. */
const ENTRY_OVERHEAD_BYTES = 4;

/** A message before it gets its stream position. */
export type PendingMessage = Omit<ToDeviceMessageRecord, 'streamId'>;

/** The local users the request names, and 400 M_BAD_JSON for a key that is not a user ID. */
function localRecipients(deps: CoreDeps, messages: ToDeviceMessages, log: CoreDeps['logger']): string[] {
  const local: string[] = [];
  for (const [userId, byDevice] of Object.entries(messages)) {
    const parts = parseUserId(userId, { historical: true });
    if (!parts) throw new MatrixError(400, 'M_BAD_JSON', `messages: ${userId} is not a user ID`);
    if (parts.serverName !== deps.serverName) {
      // NOTSPEC: messages for remote users are dropped until the federation sender exists (m.direct_to_device EDU).
      log.info({ userId }, 'to-device message for a remote user dropped: federation not built yet');
      continue;
    }
    if (Object.keys(byDevice).length > 0) local.push(userId);
  }
  return local;
}

/**
 * Expands the request; explicit device IDs win over `*`. 413 M_TOO_LARGE when the expanded messages would take more
 * bytes than `max_request_body_bytes`, i.e. more than the largest request listing every device by name could carry.
 */
export async function expandMessages(
  deps: CoreDeps,
  callbacks: ToDeviceCallbacks,
  request: { sender: string; type: string; messages: ToDeviceMessages },
): Promise<PendingMessage[]> {
  const log = deps.logger.child({ domain: 'to-device', sender: request.sender, type: request.type });
  const local = localRecipients(deps, request.messages, log);
  const devices = (await inChunks(local, (chunk) => callbacks.listDeviceIds(chunk))).flat();
  const budget = { left: deps.config.max_request_body_bytes };
  const sizes = new Map<object, number>();
  const pending: PendingMessage[] = [];
  for (const { userId, deviceId } of devices) {
    const byDevice = request.messages[userId] ?? {};
    const content = Object.hasOwn(byDevice, deviceId) ? byDevice[deviceId] : byDevice[ALL_DEVICES];
    if (content === undefined) continue;
    let size = sizes.get(content);
    if (size === undefined) sizes.set(content, (size = Buffer.byteLength(JSON.stringify(content))));
    budget.left -= size + Buffer.byteLength(deviceId) + ENTRY_OVERHEAD_BYTES;
    // NOTSPEC: the spec sets no bound on `*`; a request may store no more than a maximal request could spell out.
    if (budget.left < 0) throw new MatrixError(413, 'M_TOO_LARGE', 'Expanding "*" makes this request larger than the largest request accepted');
    pending.push({ userId, deviceId, sender: request.sender, type: request.type, content });
  }
  return pending;
}
