/**
 * POST /keys/query for local users: at most `limits.keys_query_max_users` users per request, read in chunks of a few
 * hundred users (four batched queries each) with the event loop yielded between chunks, and assembled with maps,
 * so the work is linear in the users and keys asked about.
 * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysquery
 */
import { isJsonObject, type JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { KeySignatureRecord } from '../../storage/index.js';
import type { Requester } from '../accounts/index.js';
import { inChunks } from '../yield.js';
import { crossSigningPublicKey } from './keys-json.js';
import { failuresFor, partition } from './remote.js';
import type { E2eeContext, QueryKeysResult } from './types.js';

type Signatures = Map<string, KeySignatureRecord[]>;

const signatureTarget = (userId: string, keyId: string): string => JSON.stringify([userId, keyId]);

function bySignatureTarget(signatures: readonly KeySignatureRecord[]): Signatures {
  const map: Signatures = new Map();
  for (const signature of signatures) {
    const target = signatureTarget(signature.targetUserId, signature.targetKeyId);
    const list = map.get(target);
    if (list) list.push(signature);
    else map.set(target, [signature]);
  }
  return map;
}

export async function queryKeys(ctx: E2eeContext, requester: Requester, request: Record<string, readonly string[]>): Promise<QueryKeysResult> {
  const userIds = Object.keys(request);
  const max = ctx.deps.config.limits.keys_query_max_users;
  // NOTSPEC: the spec sets no bound on one query; 400 M_INVALID_PARAM as for /keys/claim (see claim.ts).
  if (userIds.length > max) throw new MatrixError(400, 'M_INVALID_PARAM', `device_keys names ${userIds.length} users; at most ${max} per request`);
  const { local, remoteServers } = partition(ctx, userIds);
  const result: QueryKeysResult = { device_keys: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {}, failures: failuresFor(remoteServers) };
  await inChunks(local, (chunk) => queryChunk(ctx, requester, { userIds: chunk, request, result }));
  return result;
}

/** Adds the keys of `userIds` (a chunk of the request's local users) to `result`. */
async function queryChunk(
  ctx: E2eeContext,
  requester: Requester,
  { userIds, request, result }: { userIds: string[]; request: Record<string, readonly string[]>; result: QueryKeysResult },
): Promise<void> {
  const { storage } = ctx.deps;
  const [allDeviceKeys, crossSigning, signatureList, devices] = await Promise.all([
    storage.e2ee.getDeviceKeysOfUsers(userIds),
    storage.e2ee.getCrossSigningKeys(userIds),
    storage.e2ee.getSignatures(userIds),
    ctx.callbacks.listDevicesOfUsers(userIds),
  ]);
  const signatures = bySignatureTarget(signatureList);
  const displayNames = new Map(devices.map((device) => [signatureTarget(device.userId, device.deviceId), device.displayName]));
  const wanted = new Map(userIds.map((userId) => [userId, new Set(request[userId] ?? [])]));
  for (const userId of userIds) result.device_keys[userId] = {};
  for (const record of allDeviceKeys) {
    const deviceKey = signatureTarget(record.userId, record.deviceId);
    const filter = wanted.get(record.userId);
    if (!displayNames.has(deviceKey) || (filter !== undefined && filter.size > 0 && !filter.has(record.deviceId))) continue;
    const displayName = displayNames.get(deviceKey);
    const keys = withSignatures(record.keys, signatures.get(deviceKey) ?? [], () => true);
    const entry = (result.device_keys[record.userId] ??= {});
    entry[record.deviceId] = { ...keys, unsigned: displayName ? { device_display_name: displayName } : {} };
  }
  for (const key of crossSigning) {
    const publicKey = crossSigningPublicKey(key.key)?.publicKeyBase64;
    if (key.type === 'master') {
      // Signatures on a master key are seen by its owner's devices and by the user who made them.
      const visible = (signer: string): boolean => signer === key.userId || signer === requester.userId;
      const onKey = publicKey ? (signatures.get(signatureTarget(key.userId, publicKey)) ?? []) : [];
      result.master_keys[key.userId] = withSignatures(key.key, onKey, visible);
    } else if (key.type === 'self_signing') {
      result.self_signing_keys[key.userId] = key.key;
    } else if (key.userId === requester.userId) {
      result.user_signing_keys[key.userId] = key.key;
    }
  }
}

/** `keys` with the uploaded signatures on it (`onKey`, those of `visible` signers) merged into its `signatures`. */
function withSignatures(keys: JsonObject, onKey: readonly KeySignatureRecord[], visible: (signer: string) => boolean): JsonObject {
  const extra = onKey.filter((s) => visible(s.signerUserId));
  if (extra.length === 0) return keys;
  const merged: Record<string, Record<string, string>> = {};
  if (isJsonObject(keys.signatures)) {
    for (const [signer, bySigner] of Object.entries(keys.signatures)) {
      if (isJsonObject(bySigner)) merged[signer] = { ...(bySigner as Record<string, string>) };
    }
  }
  for (const signature of extra) {
    merged[signature.signerUserId] = { ...(merged[signature.signerUserId] ?? {}), [signature.signerKeyId]: signature.signature };
  }
  return { ...keys, signatures: merged };
}
