import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfig } from './load.js';

const baseDir = '/srv/parley';

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

function writeYaml(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-config-'));
  const path = join(dir, 'parley.yaml');
  writeFileSync(path, text);
  return path;
}

describe('loadConfig defaults', () => {
  it('serves localhost:8008 on 127.0.0.1 with data in ./data and open registration', () => {
    const config = loadConfig({ env: {}, baseDir });
    expect(config.server_name).toBe('localhost:8008');
    expect(config.listen).toEqual({ bind: '127.0.0.1', port: 8008 });
    expect(config.public_baseurl).toBe('http://127.0.0.1:8008');
    expect(config.data_dir).toBe('/srv/parley/data');
    expect(config.database).toEqual({ sqlite_path: '/srv/parley/data/parley.db' });
    expect(config.signing_key_path).toBe('/srv/parley/data/signing.key');
    expect(config.registration.mode).toBe('open');
    expect(config.log.level).toBe('info');
    expect(config.redis.url).toBeUndefined();
    expect(config.old_verify_keys).toEqual({});
    expect(config.max_request_body_bytes).toBe(10 * 1024 * 1024);
  });

  it('resolves relative paths against INIT_CWD, where npm was run', () => {
    const config = loadConfig({ env: { INIT_CWD: '/home/me/parley' } });
    expect(config.data_dir).toBe('/home/me/parley/data');
  });
});

describe('loadConfig env overrides', () => {
  it('reads the plain env vars', () => {
    const config = loadConfig({
      baseDir,
      env: {
        PARLEY_PORT: '9000',
        PARLEY_BIND: '0.0.0.0',
        PARLEY_SERVER_NAME: 'example.org',
        PARLEY_DATA_DIR: '/var/lib/parley',
        DATABASE_URL: 'postgres://parley@db/parley',
        REDIS_URL: 'redis://cache:6379',
        PARLEY_REGISTRATION: 'token',
      },
    });
    expect(config.listen).toEqual({ bind: '0.0.0.0', port: 9000 });
    expect(config.server_name).toBe('example.org');
    expect(config.public_baseurl).toBe('http://localhost:9000');
    expect(config.data_dir).toBe('/var/lib/parley');
    expect(config.database).toEqual({ url: 'postgres://parley@db/parley', sqlite_path: '/var/lib/parley/parley.db' });
    expect(config.redis.url).toBe('redis://cache:6379');
    expect(config.registration.mode).toBe('token');
  });

  it('derives the server name from the port when none is set', () => {
    expect(loadConfig({ baseDir, env: { PARLEY_PORT: '9000' } }).server_name).toBe('localhost:9000');
  });

  it('reads PARLEY_<KEY>_<SUBKEY> for nested keys, and prefers it over the plain alias', () => {
    const config = loadConfig({
      baseDir,
      env: {
        PARLEY_LISTEN_PORT: '7000',
        PARLEY_PORT: '9000',
        PARLEY_LOG_LEVEL: 'debug',
        PARLEY_WELL_KNOWN_CLIENT_BASE_URL: 'https://matrix.example.org',
        PARLEY_WELL_KNOWN_SERVER_DELEGATION: 'matrix.example.org:443',
        PARLEY_MAX_REQUEST_BODY_BYTES: '1000',
        PARLEY_REGISTRATION_MODE: 'closed',
      },
    });
    expect(config.listen.port).toBe(7000);
    expect(config.log.level).toBe('debug');
    expect(config.well_known).toEqual({
      client_base_url: 'https://matrix.example.org',
      server_delegation: 'matrix.example.org:443',
    });
    expect(config.max_request_body_bytes).toBe(1000);
    expect(config.registration.mode).toBe('closed');
  });

  it('reads JSON for mapping-valued keys', () => {
    const key = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const config = loadConfig({
      baseDir,
      env: { PARLEY_OLD_VERIFY_KEYS: JSON.stringify({ 'ed25519:old': { key, expired_ts: 1000 } }) },
    });
    expect(config.old_verify_keys).toEqual({ 'ed25519:old': { key, expired_ts: 1000 } });
  });

  it('treats empty env vars as unset', () => {
    expect(loadConfig({ baseDir, env: { PARLEY_PORT: '', REDIS_URL: '' } }).listen.port).toBe(8008);
  });

  it('reads sqlite: URLs as a file path', () => {
    const config = loadConfig({ baseDir, env: { DATABASE_URL: 'sqlite:db/main.db' } });
    expect(config.database).toEqual({ sqlite_path: '/srv/parley/db/main.db' });
  });
});

describe('loadConfig YAML file', () => {
  it('reads the file named by --config, with env overriding it', () => {
    const path = writeYaml('server_name: example.org\nlisten:\n  port: 8448\nregistration:\n  mode: closed\n');
    const config = loadConfig({ baseDir, configPath: path, env: { PARLEY_REGISTRATION: 'open' } });
    expect(config.server_name).toBe('example.org');
    expect(config.listen).toEqual({ bind: '127.0.0.1', port: 8448 });
    expect(config.registration.mode).toBe('open');
  });

  it('falls back to PARLEY_CONFIG', () => {
    const path = writeYaml('server_name: from-env.example\n');
    expect(loadConfig({ baseDir, env: { PARLEY_CONFIG: path } }).server_name).toBe('from-env.example');
  });

  it('treats an empty file and keys without a value as unset', () => {
    expect(loadConfig({ baseDir, env: {}, configPath: writeYaml('') }).listen.port).toBe(8008);
    expect(loadConfig({ baseDir, env: {}, configPath: writeYaml('database:\nserver_name:\n') }).server_name).toBe('localhost:8008');
  });

  it('reports an unreadable file or invalid YAML in one line', () => {
    expect(configError(() => loadConfig({ baseDir, env: {}, configPath: '/nonexistent/parley.yaml' }))).toBe(
      'config error: cannot read config file /nonexistent/parley.yaml (ENOENT)',
    );
    const message = configError(() => loadConfig({ baseDir, env: {}, configPath: writeYaml('listen: [1,\n') }));
    expect(message).toMatch(/^config error: .*parley\.yaml: invalid YAML: /);
    expect(message).not.toContain('\n');
    expect(configError(() => loadConfig({ baseDir, env: {}, configPath: writeYaml('a: 1\na: 2\n') }))).toContain('invalid YAML');
    expect(configError(() => loadConfig({ baseDir, env: {}, configPath: writeYaml('- 1\n') }))).toContain(
      'expected a mapping of keys at the top level',
    );
  });
});

describe('config errors name the key in one line', () => {
  const cases: Array<[string, unknown, string]> = [
    ['port not a number', { listen: { port: 'abc' } }, 'config error: listen.port: expected an integer between 1 and 65535, got "abc"'],
    ['port out of range', { listen: { port: 70000 } }, 'config error: listen.port: expected an integer between 1 and 65535, got 70000'],
    ['port fractional', { listen: { port: 80.5 } }, 'config error: listen.port: expected an integer between 1 and 65535, got 80.5'],
    ['unknown top-level key', { server_nam: 'x' }, 'config error: server_nam: unknown key'],
    ['unknown nested key', { listen: { prot: 1 } }, 'config error: listen.prot: unknown key'],
    ['section not a mapping', { listen: 5 }, 'config error: listen: expected a mapping of keys, got 5'],
    ['bad server name', { server_name: 'a b' }, 'config error: server_name: expected a server name: a hostname or IP literal with an optional :port, got "a b"'],
    ['bad public_baseurl', { public_baseurl: 'ftp://x' }, 'config error: public_baseurl: expected an http:// or https:// URL, got "ftp://x"'],
    ['empty data_dir', { data_dir: '' }, 'config error: data_dir: expected a non-empty path, got ""'],
    ['bad database url', { database: { url: 'mysql://x' } }, 'config error: database.url: expected a postgres://, postgresql:// or sqlite: URL, got "mysql://x"'],
    ['bad redis url', { redis: { url: 'http://x' } }, 'config error: redis.url: expected a redis:// or rediss:// URL, got "http://x"'],
    ['bad registration mode', { registration: { mode: 'invite' } }, 'config error: registration.mode: expected one of open, token, closed, got "invite"'],
    ['bad log level', { log: { level: 'loud' } }, 'config error: log.level: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"'],
    ['bad body limit', { max_request_body_bytes: 0 }, 'config error: max_request_body_bytes: expected a positive integer number of bytes, got 0'],
    ['bad signing key', { signing_key: 'ed25519 x' }, 'config error: signing_key: expected a signing key line "ed25519 <version> <unpadded base64 seed>", got "ed25519 x"'],
    ['bad old key id', { old_verify_keys: { 'rsa:1': { key: 'x', expired_ts: 1 } } }, 'config error: old_verify_keys.rsa:1: expected a key ID "ed25519:<version>" with a version of [a-zA-Z0-9_], got "rsa:1"'],
    ['missing expired_ts', { old_verify_keys: { 'ed25519:a': { key: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } } }, 'config error: old_verify_keys.ed25519:a.expired_ts: expected a timestamp in milliseconds since the epoch, got nothing'],
    ['well_known delegation', { well_known: { server_delegation: 'https://x' } }, 'config error: well_known.server_delegation: expected a server name: a hostname or IP literal with an optional :port, got "https://x"'],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => {
      expect(configError(() => validateConfig(input, { baseDir }))).toBe(expected);
    });
  }

  it('names the env var a bad value came from', () => {
    expect(configError(() => loadConfig({ baseDir, env: { PARLEY_PORT: 'abc' } }))).toBe(
      'config error: listen.port: expected an integer between 1 and 65535, got "abc" (from PARLEY_PORT)',
    );
    expect(configError(() => loadConfig({ baseDir, env: { PARLEY_OLD_VERIFY_KEYS: '{' } }))).toBe(
      'config error: old_verify_keys: expected JSON (from PARLEY_OLD_VERIFY_KEYS)',
    );
  });

  it('reports the first of several problems and counts the rest', () => {
    const message = configError(() => validateConfig({ listen: { port: 0 }, log: { level: 'x' } }, { baseDir }));
    expect(message).toMatch(/^config error: listen\.port: .* \(and 1 more\)$/);
  });
});
