/**
 * Test homeservers for vitest suites: `forEachDialect` runs a suite against a real server on SQLite and, when
 * `TEST_POSTGRES_URL` is set, PostgreSQL. Starting servers and registering users lives in start.ts.
 *
 *   forEachDialect('rooms', (server) => {
 *     it('creates a room', async () => {
 *       const alice = await registerUser(server(), 'alice');
 *       ...
 *     });
 *   });
 */
import { afterAll, beforeAll, describe } from 'vitest';
import type { ConfigInput } from '@parley/homeserver';
import { startTestHomeserver, testDialects, type TestDialect, type TestHomeserver } from './start.js';

export * from './start.js';

/**
 * Registers `suite` once per dialect as `describe(`${name} [sqlite]`)` and `[postgres]`, with a server started
 * before its tests and stopped after. The server is shared by the suite's tests: use fresh user names per test.
 */
export function forEachDialect(
  name: string,
  suite: (server: () => TestHomeserver) => void,
  options: { config?: ConfigInput | ((dialect: TestDialect) => ConfigInput) } = {},
): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    describe.skipIf(!testDialects().includes(dialect))(`${name} [${dialect}]`, () => {
      let server: TestHomeserver | undefined;
      beforeAll(async () => {
        const config = typeof options.config === 'function' ? options.config(dialect) : options.config;
        server = await startTestHomeserver({ config, dialect });
      });
      afterAll(async () => {
        await server?.close();
      });
      suite(() => {
        if (!server) throw new Error('forEachDialect: the server is only available inside tests and hooks');
        return server;
      });
    });
  }
}

