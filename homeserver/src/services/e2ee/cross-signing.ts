/**
 * Cross-signing: uploading the master, self-signing and user-signing keys, and signatures made with them.
 * https://spec.matrix.org/v1.19/client-server-api/#cross-signing
 * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysdevice_signingupload
 * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keyssignaturesupload
 */
import { isJsonObject, type JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { CrossSigningKeyRecord, CrossSigningKeyType, KeySignatureRecord } from '../../storage/index.js';
import type { Requester } from '../accounts/index.js';
import {
  crossSigningPublicKey,
  decodeEd25519Key,
  hasValidSignature,
  requireSignature,
  sameJson,
  sameKeyContent,
  validateCrossSigningKey,
  type CrossSigningKey,
} from './keys-json.js';
import type { CrossSigningUploadRequest, E2eeContext } from './types.js';

const UPLOAD_OPERATION = 'POST /keys/device_signing/upload';

/**
 * POST /keys/device_signing/upload. UIA is skipped when the user has no master key yet, or when every key sent
 * is exactly the one stored (an idempotent retry), as the spec allows; otherwise it is required.
 */
export async function uploadCrossSigningKeys(ctx: E2eeContext, requester: Requester, request: CrossSigningUploadRequest): Promise<void> {
  const { storage, clock } = ctx.deps;
  const { userId } = requester;
  const stored = new Map((await storage.e2ee.getCrossSigningKeys([userId])).map((record) => [record.type, record.key]));

  const uploads: [CrossSigningKeyType, CrossSigningKey][] = [];
  const master = request.master_key != null ? validateCrossSigningKey(request.master_key, userId, 'master') : null;
  if (master) uploads.push(['master', master]);
  const signingMaster = master ?? (stored.has('master') ? crossSigningPublicKey(stored.get('master') as JsonObject) : null);
  for (const [field, type] of [['self_signing_key', 'self_signing'], ['user_signing_key', 'user_signing']] as const) {
    if (request[field] == null) continue;
    const key = validateCrossSigningKey(request[field], userId, type);
    if (!signingMaster) throw new MatrixError(400, 'M_MISSING_PARAM', 'No master signing key is available');
    requireSignature(key.json, userId, `ed25519:${signingMaster.publicKeyBase64}`, signingMaster.publicKey, field);
    uploads.push([type, key]);
  }
  if (uploads.length === 0) return;

  const deviceIds = new Set((await ctx.callbacks.listDevices(userId)).map((device) => device.deviceId));
  // NOTSPEC: the spec does not say; a key ID equal to a device ID would make /keys/signatures/upload ambiguous
  // (signed objects are named by device ID or public key), so Synapse refuses it as well.
  if (uploads.some(([, key]) => deviceIds.has(key.publicKeyBase64))) {
    throw new MatrixError(403, 'M_FORBIDDEN', 'The public key of a cross-signing key is the ID of one of your devices');
  }
  const unchanged = uploads.every(([type, key]) => stored.has(type) && sameJson(stored.get(type) as JsonObject, key.json));
  if (unchanged) return;
  if (stored.has('master')) await ctx.callbacks.requireUserInteractiveAuth(requester, request.auth, UPLOAD_OPERATION);

  await storage.transaction(async (tx) => {
    for (const [type, key] of uploads) await tx.e2ee.setCrossSigningKey({ userId, type, key: key.json }, clock.now());
  });
  await ctx.deviceListChanged(userId);
}

type Failure = { errcode: string; error: string };

/**
 * POST /keys/signatures/upload. Accepted signatures: the requester's self-signing key on their own devices, one of
 * their devices on their own master key, their user-signing key on another user's master key. Each object must
 * match the stored key apart from `signatures`. Anything else is reported per key in `failures`.
 */
export async function uploadSignatures(
  ctx: E2eeContext,
  requester: Requester,
  request: Record<string, Record<string, unknown>>,
): Promise<{ failures: Record<string, Record<string, Failure>> }> {
  const { storage } = ctx.deps;
  const signer = requester.userId;
  const failures: Record<string, Record<string, Failure>> = {};
  const accepted: KeySignatureRecord[] = [];
  const own = keysByType(await storage.e2ee.getCrossSigningKeys([signer]));
  const ownDevices = new Map((await storage.e2ee.getDeviceKeysOfUsers([signer])).map((record) => [record.deviceId, record.keys]));

  for (const [targetUserId, objects] of Object.entries(request)) {
    const targetMaster = targetUserId === signer ? own.get('master') : keysByType(await storage.e2ee.getCrossSigningKeys([targetUserId], ['master'])).get('master');
    for (const [keyId, object] of Object.entries(objects)) {
      const outcome = checkSignedObject(object, { signer, targetUserId, keyId, own, ownDevices, targetMaster });
      if ('errcode' in outcome) (failures[targetUserId] ??= {})[keyId] = outcome;
      else accepted.push(outcome);
    }
  }
  if (accepted.length > 0) {
    await storage.transaction((tx) => tx.e2ee.addSignatures(accepted));
    // Signatures on one's own keys change what everyone sees of them; a signature of someone else's master key
    // is only seen by the signer, so only the signer's own devices need to look again.
    await ctx.deviceListChanged(signer);
  }
  return { failures };
}

interface SignatureTarget {
  signer: string;
  targetUserId: string;
  keyId: string;
  own: Map<CrossSigningKeyType, CrossSigningKey>;
  ownDevices: Map<string, JsonObject>;
  targetMaster: CrossSigningKey | undefined;
}

function checkSignedObject(object: unknown, target: SignatureTarget): KeySignatureRecord | Failure {
  if (!isJsonObject(object)) return { errcode: 'M_INVALID_PARAM', error: 'The signed object must be an object' };
  const { signer, targetUserId, keyId } = target;
  if (targetUserId === signer) {
    const device = target.ownDevices.get(keyId);
    if (device) return signatureWith(object, device, target, keyId, target.own.get('self_signing'), 'self-signing key');
    if (target.targetMaster && keyId === target.targetMaster.publicKeyBase64) {
      // A device vouching for its user's master key: the signature names the device's ed25519 key.
      const deviceKeyIds = Object.keys(isJsonObject(object.signatures) && isJsonObject(object.signatures[signer]) ? object.signatures[signer] : {});
      for (const signerKeyId of deviceKeyIds) {
        const deviceId = signerKeyId.startsWith('ed25519:') ? signerKeyId.slice('ed25519:'.length) : '';
        const deviceKeys = target.ownDevices.get(deviceId);
        const publicKey = deviceKeys ? decodeEd25519Key((deviceKeys.keys as Record<string, unknown> | undefined)?.[signerKeyId]) : null;
        if (!publicKey) continue;
        return signatureWith(object, target.targetMaster.json, target, keyId, { json: {}, publicKeyBase64: deviceId, publicKey }, 'device key');
      }
      return { errcode: 'M_INVALID_SIGNATURE', error: 'No signature by one of your devices' };
    }
    return { errcode: 'M_NOT_FOUND', error: 'Unknown key' };
  }
  if (!target.targetMaster || keyId !== target.targetMaster.publicKeyBase64) {
    return { errcode: 'M_NOT_FOUND', error: "Only another user's master key can be signed" };
  }
  return signatureWith(object, target.targetMaster.json, target, keyId, target.own.get('user_signing'), 'user-signing key');
}

/** Checks that `object` is `stored` plus a valid signature by `signingKey`, and returns that signature. */
function signatureWith(
  object: JsonObject,
  stored: JsonObject,
  target: SignatureTarget,
  keyId: string,
  signingKey: CrossSigningKey | undefined,
  what: string,
): KeySignatureRecord | Failure {
  if (!signingKey) return { errcode: 'M_INVALID_SIGNATURE', error: `You have no ${what}` };
  if (!sameKeyContent(object, stored)) return { errcode: 'M_INVALID_PARAM', error: 'The signed object does not match the stored key' };
  const signerKeyId = `ed25519:${signingKey.publicKeyBase64}`;
  if (!hasValidSignature(object, target.signer, signerKeyId, signingKey.publicKey)) {
    return { errcode: 'M_INVALID_SIGNATURE', error: `Invalid or missing signature by your ${what}` };
  }
  const signatures = object.signatures as Record<string, Record<string, string>>;
  return {
    targetUserId: target.targetUserId,
    targetKeyId: keyId,
    signerUserId: target.signer,
    signerKeyId,
    signature: signatures[target.signer]?.[signerKeyId] as string,
  };
}

function keysByType(records: readonly CrossSigningKeyRecord[]): Map<CrossSigningKeyType, CrossSigningKey> {
  const result = new Map<CrossSigningKeyType, CrossSigningKey>();
  for (const record of records) {
    const key = crossSigningPublicKey(record.key);
    if (key) result.set(record.type, key);
  }
  return result;
}
