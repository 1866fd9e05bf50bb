import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['federation/src/**/*.test.ts', 'homeserver/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/plain-summary-reporter.ts'],
  },
});
