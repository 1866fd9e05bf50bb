/** Starts the bench's server in a child process (server-process.ts) and reads its counters over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestDialect } from '../../test/support/start.js';
import type { ServerMessage, ServerReady, ServerRequest, ServerStats } from './server-protocol.js';

export interface RemoteServer extends ServerReady {
  stats(): Promise<ServerStats>;
  /** Stats after a full garbage collection. */
  statsAfterGc(): Promise<ServerStats>;
  close(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./server-process.ts', import.meta.url));

/** Forks the server (the tsx loader is inherited through execArgv) and waits for it to listen. */
export async function startRemoteServer(dialect: TestDialect): Promise<RemoteServer> {
  const child = fork(CHILD, [], { execArgv: [...process.execArgv, '--expose-gc'], env: { ...process.env, BENCH_DIALECT: dialect }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, (stats: ServerStats) => void>();
  let nextId = 0;
  const ready = new Promise<ServerReady>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    child.on('message', (message: ServerMessage) => {
      if ('ready' in message) resolve(message.ready);
      else pending.get(message.id)?.(message.stats);
    });
  });
  const info = await ready;
  const ask = (cmd: ServerRequest['cmd']): Promise<ServerStats> =>
    new Promise((resolve) => {
      const id = ++nextId;
      pending.set(id, (stats) => {
        pending.delete(id);
        resolve(stats);
      });
      child.send({ id, cmd } satisfies ServerRequest);
    });
  return { ...info, stats: () => ask('stats'), statsAfterGc: () => ask('gc'), close: () => closeChild(child, ask) };
}

async function closeChild(child: ChildProcess, ask: (cmd: 'close') => Promise<ServerStats>): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([ask('close'), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
  await exited;
}
