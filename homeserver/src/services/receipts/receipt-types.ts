/**
 * The receipt types this server accepts.
 * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidreceiptreceipttypeeventid
 */

/** Public read-up-to receipt. */
export const READ_TYPE = 'm.read';
/** Read-up-to receipt only its sender ever sees. */
export const READ_PRIVATE_TYPE = 'm.read.private';
/** The fully read marker: stored as room account data, never as a receipt. */
export const FULLY_READ_TYPE = 'm.fully_read';
/** MSC4089 delivery receipt, under its unstable prefix (see spec/receipts-delivery.md). */
export const DELIVERY_RECEIPT_TYPE = 'org.matrix.msc4089.delivery';

/** Every receipt type POST /receipt accepts. */
export const RECEIPT_TYPES: readonly string[] = [READ_TYPE, READ_PRIVATE_TYPE, FULLY_READ_TYPE, DELIVERY_RECEIPT_TYPE];

/** Linearised ("up to") receipt types, one event per (user, room, thread, type). */
export const READ_RECEIPT_TYPES: readonly string[] = [READ_TYPE, READ_PRIVATE_TYPE];

/** Receipt types only their own sender may see. */
export const PRIVATE_RECEIPT_TYPES: readonly string[] = [READ_PRIVATE_TYPE];
