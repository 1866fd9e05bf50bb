/**
 * Accounts, devices, access and refresh tokens, user-interactive auth, account data, filters, capabilities.
 * This file is the domain's only public door: http/ and other domains import from here.
 */
import type { CoreDeps } from '../deps.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the domain is built
export interface AccountsService {}

export function createAccountsService(_deps: CoreDeps): AccountsService {
  return {};
}
