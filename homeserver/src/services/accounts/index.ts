/**
 * Accounts: users, passwords, devices, access and refresh tokens, user-interactive auth, registration tokens,
 * capabilities. This file is the domain's only public door: http/ and other domains import from here.
 * https://spec.matrix.org/v1.19/client-server-api/#client-authentication
 */
export { createAccountsService } from './service.js';
export { UiaChallenge } from './uia.js';
export { createRegistrationToken, type NewRegistrationToken } from './registration-tokens.js';
export { setServerAdmin } from './moderation.js';
export type {
  AccountsPorts,
  AccountsService,
  AttemptLimiter,
  AuthenticateOptions,
  DeviceChange,
  DeviceInfo,
  Listener,
  LoginIdentifier,
  LoginRequest,
  LoginSession,
  OpenIdToken,
  RegisterRequest,
  RegisterResult,
  RegistrationTokenInfo,
  Requester,
  RequestOrigin,
  WhoisInfo,
} from './types.js';
