/**
 * Reads the config: YAML from `--config`/`PARLEY_CONFIG`, then environment overrides for every key, then the
 * schema's validation and defaults, then derived values (absolute paths, server name, public URL).
 * Any problem is a {@link ConfigError} whose message is one line naming the key.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configLeaves, configSchema, envVarName, type Config, type ConfigLeaf, type ParsedConfig } from './schema.js';

/** A configuration mistake; `message` is a single line suitable for the terminal, without a stack trace. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Environment variables as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  /** The `--config` argument; falls back to `PARLEY_CONFIG`. */
  configPath?: string;
  /** Defaults to `process.env`. */
  env?: Environment;
  /**
   * Directory relative paths are resolved against. Defaults to `INIT_CWD` (set by npm to the directory the
   * user ran npm from, since npm runs workspace scripts inside homeserver/) or else the current directory.
   */
  baseDir?: string;
}

/** Loads, validates and resolves the configuration. Throws {@link ConfigError}. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? defaultBaseDir(env);
  const configPath = nonEmpty(options.configPath) ?? nonEmpty(env.PARLEY_CONFIG);
  const fromFile = configPath ? readConfigFile(resolve(baseDir, configPath)) : {};
  const sources = new Map<string, string>();
  const merged = applyEnvOverrides(fromFile, env, sources);
  return validateConfig(merged, { baseDir, sources });
}

export interface ValidateConfigOptions {
  baseDir: string;
  /** Which env var each dotted key came from, to name it in errors. */
  sources?: ReadonlyMap<string, string>;
}

/** Validates a config object (as parsed from YAML) and resolves it. Throws {@link ConfigError}. */
export function validateConfig(input: unknown, options: ValidateConfigOptions): Config {
  const result = configSchema.safeParse(withoutNulls(input), { reportInput: true });
  if (!result.success) {
    throw new ConfigError(formatConfigIssues(result.error.issues, options.sources ?? new Map()));
  }
  return resolveConfig(result.data, options.baseDir);
}

/** The directory the user started parley from. */
export function defaultBaseDir(env: Environment = process.env): string {
  return nonEmpty(env.INIT_CWD) ?? process.cwd();
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`config error: cannot read config file ${path} (${code})`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { uniqueKeys: true, prettyErrors: false });
  } catch (error) {
    const firstLine = (error as Error).message.split('\n')[0];
    throw new ConfigError(`config error: ${path}: invalid YAML: ${firstLine}`);
  }
  if (parsed == null) return {};
  if (!isPlainObject(parsed)) throw new ConfigError(`config error: ${path}: expected a mapping of keys at the top level`);
  return parsed;
}

/** Returns a copy of `base` with every set env var written at its key's path. */
function applyEnvOverrides(base: unknown, env: Environment, sources: Map<string, string>): Record<string, unknown> {
  const result = structuredClone(isPlainObject(base) ? base : {});
  for (const leaf of configLeaves()) {
    // The full PARLEY_<PATH> name wins over a plain alias such as PARLEY_PORT or DATABASE_URL.
    const names = [envVarName(leaf.path), ...(leaf.meta.envAliases ?? [])];
    const name = names.find((candidate) => nonEmpty(env[candidate]) !== undefined);
    if (!name) continue;
    setAtPath(result, leaf.path, readEnvValue(leaf, name, env[name] as string));
    sources.set(leaf.path.join('.'), name);
  }
  return result;
}

function readEnvValue(leaf: ConfigLeaf, name: string, raw: string): unknown {
  const text = raw.trim();
  switch (leaf.kind) {
    case 'integer':
      // Leave non-numbers as strings so the schema's message shows what was given.
      return /^[+-]?\d+$/.test(text) ? Number(text) : raw;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : raw;
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new ConfigError(`config error: ${leaf.path.join('.')}: expected JSON (from ${name})`);
      }
    case 'string':
      return raw;
  }
}

function setAtPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isPlainObject(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

/** One line for the first problem, naming its key (and the env var it came from, if any). */
export function formatConfigIssues(issues: readonly z.core.$ZodIssue[], sources: ReadonlyMap<string, string>): string {
  const issue = issues[0];
  if (!issue) return 'config error: invalid configuration';
  const path = issue.path.map(String);
  let line: string;
  if (issue.code === 'unrecognized_keys') {
    const key = [...path, issue.keys[0] ?? '?'].join('.');
    line = `${key}: unknown key`;
  } else {
    // A bad record key carries the key schema's own message one level down.
    const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    const input = (issue as { input?: unknown }).input;
    const got = input === undefined ? 'got nothing' : `got ${describeValue(input)}`;
    line = `${path.join('.') || '(top level)'}: ${message}, ${got}`;
  }
  const source = sourceOf(path, sources);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `config error: ${line}${source ? ` (from ${source})` : ''}${more}`;
}

function sourceOf(path: readonly string[], sources: ReadonlyMap<string, string>): string | undefined {
  for (let length = path.length; length > 0; length--) {
    const source = sources.get(path.slice(0, length).join('.'));
    if (source) return source;
  }
  return undefined;
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function resolveConfig(parsed: ParsedConfig, baseDir: string): Config {
  const dataDir = resolve(baseDir, parsed.data_dir);
  const { bind, port } = parsed.listen;
  const databaseUrl = parsed.database.url;
  const sqlitePath =
    databaseUrl?.startsWith('sqlite:') ? resolve(baseDir, sqliteFilePath(databaseUrl)) : join(dataDir, 'parley.db');
  return {
    ...parsed,
    server_name: parsed.server_name ?? `localhost:${port}`,
    public_baseurl: (parsed.public_baseurl ?? `http://${urlHost(bind)}:${port}`).replace(/\/+$/, ''),
    data_dir: dataDir,
    signing_key_path: parsed.signing_key_path ? resolve(baseDir, parsed.signing_key_path) : join(dataDir, 'signing.key'),
    database: databaseUrl && !databaseUrl.startsWith('sqlite:') ? { url: databaseUrl, sqlite_path: sqlitePath } : { sqlite_path: sqlitePath },
  };
}

/** `sqlite:relative.db`, `sqlite:/abs.db` and `sqlite:///abs.db` name a file path. */
function sqliteFilePath(url: string): string {
  const rest = url.slice('sqlite:'.length);
  return rest.startsWith('//') ? rest.replace(/^\/\//, '') || '.' : rest;
}

/** A host that a browser on this machine can reach the listener at. */
function urlHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '::' || bind === '[::]') return 'localhost';
  return bind.includes(':') && !bind.startsWith('[') ? `[${bind}]` : bind;
}

/** YAML `key:` with nothing after it reads as null; treat it as "not set" so the default applies. */
function withoutNulls(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child !== null) result[key] = withoutNulls(child);
  }
  return result;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
