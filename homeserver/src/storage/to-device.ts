/**
 * Repository interface: The per-device to-device message queue.
 * Re-exported by storage/index.ts; implemented by knex/to-device.repo.ts for both dialects.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface ToDeviceStore {}
