/**
 * Test and benchmark helpers (`@parley/federation/testing`): in-memory state-resolution stores and room builders.
 * Not part of the protocol surface.
 */
export * from './state-res/fixtures.js';
