/**
 * Repository interface: Membership per user and room, state snapshots, client transaction IDs, aliases, relations and everything else the rooms domain reads beyond events.
 * Re-exported by storage/index.ts; implemented by knex/room-state.repo.ts for both dialects.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface RoomStateStore {}
