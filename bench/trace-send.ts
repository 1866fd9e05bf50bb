/**
 * `npx tsx bench/trace-send.ts [n]`: prints every SQL statement the server runs for the n-th (default 3rd)
 * sequential message send into a room on SQLite, with where it ran (writer or reader connection). A tool for
 * finding statements to cut on the send path; not part of `npm run bench`.
 */
import Database from 'better-sqlite3';
import { api } from '../test/support/http.js';
import { registerUser, startTestHomeserver } from '../test/support/start.js';

const lines: string[] = [];
let tracing = false;
const probe = new Database(':memory:');
const statementPrototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, unknown>;
probe.close();
for (const name of ['run', 'get', 'all', 'iterate']) {
  const original = statementPrototype[name] as (...args: unknown[]) => unknown;
  statementPrototype[name] = function traced(this: { source: string; database: { readonly: boolean; name: string } }, ...args: unknown[]): unknown {
    if (tracing) lines.push(`${name.padEnd(4)} ${this.source.replace(/\s+/g, ' ').slice(0, 220)}`);
    return original.apply(this, args);
  };
}
const exec = Database.prototype.exec;
Database.prototype.exec = function tracedExec(this: Database.Database, source: string): Database.Database {
  if (tracing) lines.push(`exec ${source}`);
  return exec.call(this, source);
};

const nth = Number(process.argv[2] ?? 3);
const server = await startTestHomeserver({ config: { presence: { enabled: false } } });
try {
  const alice = await registerUser(server, 'alice');
  const room = await api(server, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: {} });
  const roomId = room.body.room_id as string;
  for (let i = 1; i <= nth; i++) {
    tracing = i === nth;
    await api(server, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${i}`, {
      token: alice.accessToken,
      body: { msgtype: 'm.text', body: `message ${i}` },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    tracing = false;
  }
  console.log(`${lines.length} statements for send #${nth}:`);
  for (const line of lines) console.log(line);
} finally {
  await server.close();
}
