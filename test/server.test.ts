/**
 * The homeserver as a user runs it: the real `parley` executable on a free port with a temporary data dir,
 * plus `startServer` in-process on port 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { decodeBase64 } from '@parley/federation';
import { verifyJsonSignature } from '@parley/federation';
import type { JsonObject } from '@parley/federation';
import { loadConfig, startServer, validateConfig } from '@parley/homeserver';

const PARLEY_BIN = fileURLToPath(new URL('../homeserver/bin/parley.js', import.meta.url));
const tempDirs: string[] = [];

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-server-test-'));
  tempDirs.push(dir);
  return dir;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface ParleyProcess {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<Finished>;
}

/** Runs `parley <args>` with only the given env (plus PATH), from `cwd`. */
function runParley(args: string[], env: Record<string, string>, cwd: string): ParleyProcess {
  const child = spawn(process.execPath, [PARLEY_BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', INIT_CWD: cwd, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString('utf8')));
  const exited = new Promise<Finished>((resolve) =>
    child.once('exit', (code, signal) => {
      // Let the pipes drain before reporting what was printed.
      setImmediate(() => resolve({ code, signal, ...output }));
    }),
  );
  return { child, output, exited };
}

/** Waits until the server prints its URL, or fails with what it printed. */
async function waitForUrl(parley: ParleyProcess, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let exitedEarly = false;
  void parley.exited.then(() => (exitedEarly = true));
  while (Date.now() < deadline && !exitedEarly) {
    const match = /Parley is serving \S+ at (http:\/\/\S+)/.exec(parley.output.stdout);
    if (match) return match[1] as string;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server did not start:\n${parley.output.stdout}\n${parley.output.stderr}`);
}

async function getJson(url: string): Promise<{ status: number; body: JsonObject }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as JsonObject };
}

describe('parley start (the real executable)', () => {
  const dataDir = tempDir();
  let firstKeyId = '';

  it('serves the endpoints, signs its key document, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const parley = runParley(['start'], { PARLEY_PORT: String(port), PARLEY_DATA_DIR: dataDir, PARLEY_LOG_LEVEL: 'warn' }, dataDir);
    try {
      const url = await waitForUrl(parley);
      expect(url).toBe(`http://127.0.0.1:${port}`);

      const versions = await getJson(`${url}/_matrix/client/versions`);
      expect(versions.status).toBe(200);
      expect(versions.body.versions).toContain('v1.19');

      expect((await getJson(`${url}/.well-known/matrix/client`)).body).toEqual({ 'm.homeserver': { base_url: url } });
      expect((await getJson(`${url}/_matrix/federation/v1/version`)).body).toMatchObject({ server: { name: 'Parley' } });
      expect(await (await fetch(`${url}/health`)).text()).toBe('OK');
      expect(await (await fetch(`${url}/metrics`)).text()).toContain('parley_http_request_duration_seconds');
      const unknown = await getJson(`${url}/_matrix/client/v3/nope`);
      expect([unknown.status, unknown.body.errcode]).toEqual([404, 'M_UNRECOGNIZED']);

      const keys = await getJson(`${url}/_matrix/key/v2/server`);
      const serverName = `localhost:${port}`;
      expect(keys.body.server_name).toBe(serverName);
      const verifyKeys = keys.body.verify_keys as Record<string, { key: string }>;
      const [keyId] = Object.keys(verifyKeys);
      firstKeyId = keyId as string;
      const publicKey = decodeBase64((verifyKeys[firstKeyId] as { key: string }).key);
      expect(verifyJsonSignature(keys.body, serverName, firstKeyId, publicKey)).toEqual({ ok: true });
      const validUntil = keys.body.valid_until_ts as number;
      expect(validUntil).toBeGreaterThan(Date.now() + 60 * 60 * 1000);
      expect(validUntil).toBeLessThanOrEqual(Date.now() + 7 * 24 * 60 * 60 * 1000);

      parley.child.kill('SIGTERM');
      const finished = await parley.exited;
      expect(finished.code).toBe(0);
      expect(finished.stderr).toBe('');
    } finally {
      parley.child.kill('SIGKILL');
    }
    // The key file was created readable by the owner only, next to the SQLite database.
    expect(statSync(join(dataDir, 'signing.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dataDir, 'signing.key'), 'utf8')).toMatch(/^ed25519 \w+ [A-Za-z0-9+/]+\n$/);
    expect(statSync(join(dataDir, 'parley.db')).isFile()).toBe(true);
  });

  it('keeps its signing key across restarts', async () => {
    const port = await freePort();
    const parley = runParley(['start'], { PARLEY_PORT: String(port), PARLEY_DATA_DIR: dataDir, PARLEY_LOG_LEVEL: 'warn' }, dataDir);
    try {
      const url = await waitForUrl(parley);
      const keys = await getJson(`${url}/_matrix/key/v2/server`);
      expect(Object.keys(keys.body.verify_keys as object)).toEqual([firstKeyId]);
      parley.child.kill('SIGINT');
      expect((await parley.exited).code).toBe(0);
    } finally {
      parley.child.kill('SIGKILL');
    }
  });

  it('refuses a bad config with one line on stderr and exit code 2', async () => {
    const finished = await runParley(['start'], { PARLEY_PORT: 'abc' }, tempDir()).exited;
    expect(finished.code).toBe(2);
    expect(finished.stderr).toBe('config error: listen.port: expected an integer between 1 and 65535, got "abc" (from PARLEY_PORT)\n');
  });

  it('prints help', async () => {
    const finished = await runParley(['--help'], {}, tempDir()).exited;
    expect(finished.code).toBe(0);
    expect(finished.stdout).toContain('generate-config');
  });
});

describe('parley generate-config', () => {
  it('prints a config that parses and validates, with the given server name and a fresh key', async () => {
    const dir = tempDir();
    const finished = await runParley(['generate-config', '--server-name', 'example.org'], {}, dir).exited;
    expect(finished.code).toBe(0);
    const config = validateConfig(parseYaml(finished.stdout), { baseDir: dir });
    expect(config.server_name).toBe('example.org');
    expect(config.signing_key).toMatch(/^ed25519 \w+ /);
    expect(finished.stdout).toContain('# env: PARLEY_LISTEN_PORT or PARLEY_PORT');
  });

  it('writes --output as a private file that `start --config` accepts, and never overwrites it', async () => {
    const dir = tempDir();
    const first = await runParley(['generate-config', '--output', 'parley.yaml'], {}, dir).exited;
    expect(first.code).toBe(0);
    const path = join(dir, 'parley.yaml');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadConfig({ configPath: path, env: {}, baseDir: dir }).server_name).toBe('localhost:8008');
    const second = await runParley(['generate-config', '--output', 'parley.yaml'], {}, dir).exited;
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('already exists');
  });

  it('rejects a bad server name with a config error', async () => {
    const finished = await runParley(['generate-config', '--server-name', 'not a name'], {}, tempDir()).exited;
    expect(finished.code).toBe(2);
    expect(finished.stderr).toMatch(/^config error: server_name: /);
  });
});

describe('startServer in-process', () => {
  it('listens on port 0, serves, and closes promptly even with a kept-alive connection', async () => {
    const dataDir = tempDir();
    const config = loadConfig({ env: { PARLEY_DATA_DIR: dataDir, PARLEY_LOG_LEVEL: 'silent' }, baseDir: dataDir });
    const server = await startServer({ ...config, listen: { ...config.listen, port: 0 } });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect((await getJson(`${server.url}/_matrix/client/versions`)).status).toBe(200);
    const startedAt = Date.now();
    await server.close();
    expect(Date.now() - startedAt).toBeLessThan(2000);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    await server.close();
  });
});
