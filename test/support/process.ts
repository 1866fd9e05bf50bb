/**
 * A homeserver in a process of its own (`tsx homeserver/src/cli.ts start`), for tests that kill it: start on a
 * fixed port and data, SIGKILL, start again on the same data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const CLI = join(ROOT, 'homeserver/src/cli.ts');

export interface ServerProcessOptions {
  dataDir: string;
  serverName: string;
  /** PostgreSQL URL; SQLite in `dataDir` when absent. */
  databaseUrl?: string;
}

export interface ServerProcess {
  url: string;
  /** Starts the process and resolves once it answers /versions. */
  start(): Promise<void>;
  /** SIGKILL: no shutdown, no flush. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** The last lines the process wrote (for failure messages). */
  output(): string;
}

/** A free TCP port on loopback (closed again before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function serverProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configPath = join(options.dataDir, 'parley.yaml');
  const lines = [
    `server_name: ${JSON.stringify(options.serverName)}`,
    `data_dir: ${JSON.stringify(options.dataDir)}`,
    'listen:',
    '  bind: 127.0.0.1',
    `  port: ${port}`,
    'log:',
    '  level: warn',
    'rate_limits:',
    '  enabled: false',
  ];
  if (options.databaseUrl !== undefined) lines.push('database:', `  url: ${JSON.stringify(options.databaseUrl)}`);
  writeFileSync(configPath, `${lines.join('\n')}\n`);
  let child: ChildProcess | null = null;
  let log = '';

  async function waitReady(current: ChildProcess): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (current.exitCode !== null) throw new Error(`server exited with ${current.exitCode}: ${log.slice(-2000)}`);
      try {
        const response = await fetch(`${url}/_matrix/client/versions`);
        if (response.status === 200) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((wake) => setTimeout(wake, 100));
    }
    throw new Error(`server did not start: ${log.slice(-2000)}`);
  }

  return {
    url,
    async start() {
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const name of ['DATABASE_URL', 'REDIS_URL', 'PARLEY_CONFIG', 'PARLEY_PORT', 'PARLEY_DATA_DIR', 'PARLEY_SERVER_NAME']) delete env[name];
      const current = spawn(process.execPath, ['--import', 'tsx', CLI, 'start', '--config', configPath], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (chunk: Buffer): void => {
        log = (log + chunk.toString()).slice(-20_000);
      };
      current.stdout?.on('data', keep);
      current.stderr?.on('data', keep);
      child = current;
      await waitReady(current);
    },
    async kill() {
      const current = child;
      child = null;
      if (current === null || current.exitCode !== null || current.signalCode !== null) return;
      await new Promise<void>((gone) => {
        current.once('exit', () => gone());
        current.kill('SIGKILL');
      });
    },
    output: () => log,
  };
}
