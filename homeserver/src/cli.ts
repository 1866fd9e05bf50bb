/**
 * The `parley` command line: `start` (the default), `generate-config`, `--help`.
 * Exit codes: 0 success or clean shutdown, 1 runtime failure, 2 bad configuration or usage.
 */
import { realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { renderDefaultConfig } from './config/generate.js';
import { ConfigError, defaultBaseDir, loadConfig, validateConfig } from './config/load.js';
import { createRegistrationToken, setServerAdmin, startServer, type RunningServer } from './main.js';

export const USAGE = `Usage: parley [command] [options]

Commands:
  start                     Start the homeserver (the default command)
  generate-config           Print a commented default config with a fresh signing key
  create-registration-token Create a token for registration.mode "token" and print it
  make-admin <userId>       Make a local user a server admin (whois, suspending and locking accounts)

Options:
  -c, --config <file>       YAML config file (default: $PARLEY_CONFIG); env vars override its keys
      --server-name <name>  generate-config: the server name to write (default: localhost:8008)
  -o, --output <file>       generate-config: write to this file instead of stdout (never overwrites)
      --token <token>       create-registration-token: the token (default: random)
      --uses-allowed <n>    create-registration-token: how many registrations it allows (default: unlimited)
      --expires <date>      create-registration-token: ISO date after which it stops working (default: never)
      --revoke              make-admin: take the user's admin rights away instead
  -h, --help                Show this help

Without any config, parley serves http://127.0.0.1:8008 as server "localhost:8008" with data in ./data.
Common env overrides: PARLEY_PORT, PARLEY_BIND, PARLEY_SERVER_NAME, PARLEY_DATA_DIR, DATABASE_URL,
REDIS_URL, PARLEY_REGISTRATION (open | token | closed). Every key also has a PARLEY_<KEY>_<SUBKEY> variable.
`;

/** Exit codes. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

class UsageError extends Error {}

/**
 * Runs the CLI. Resolves with the exit code for commands that finish; `start` resolves once the server is
 * listening and exits the process itself on SIGTERM/SIGINT.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        'server-name': { type: 'string' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
        token: { type: 'string' },
        'uses-allowed': { type: 'string' },
        expires: { type: 'string' },
        revoke: { type: 'boolean' },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    const [command = 'start', ...rest] = positionals;
    if (command === 'make-admin') return await makeAdmin(values, rest);
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    switch (command) {
      case 'start':
        await start(values.config);
        return EXIT_OK;
      case 'create-registration-token':
        return await createToken(values);
      case 'generate-config':
        return await generateConfig({ serverName: values['server-name'], output: values.output });
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    return reportFailure(error);
  }
}

async function start(configPath: string | undefined): Promise<void> {
  const config = loadConfig({ configPath });
  const server = await startServer(config);
  console.log(`Parley is serving ${config.server_name} at ${server.url}`);
  stopOnSignals(server);
}

/** First SIGTERM/SIGINT: graceful shutdown then exit 0. A second one: exit at once. */
function stopOnSignals(server: RunningServer): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      console.error(`${signal} again: exiting without waiting`);
      process.exit(EXIT_FAILURE);
    }
    stopping = true;
    server.close().then(
      () => process.exit(EXIT_OK),
      (error: unknown) => {
        console.error(`shutdown failed: ${errorMessage(error)}`);
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function generateConfig(options: { serverName?: string; output?: string }): Promise<number> {
  const text = renderDefaultConfig({ serverName: options.serverName });
  // Prove the output loads before handing it over (this also validates --server-name).
  validateConfig(parseYaml(text), { baseDir: defaultBaseDir() });
  if (options.output === undefined) {
    process.stdout.write(text);
    return EXIT_OK;
  }
  const path = resolve(defaultBaseDir(), options.output);
  try {
    await writeFile(path, text, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${path} already exists; not overwriting it`);
    throw error;
  }
  console.error(`wrote ${path}`);
  return EXIT_OK;
}

/** `parley create-registration-token`: writes the token to the configured database and prints it. */
async function createToken(values: { config?: string; token?: string; 'uses-allowed'?: string; expires?: string }): Promise<number> {
  const usesAllowed = values['uses-allowed'] === undefined ? null : Number(values['uses-allowed']);
  if (usesAllowed !== null && (!Number.isInteger(usesAllowed) || usesAllowed < 0)) throw new UsageError('--uses-allowed must be a non-negative integer');
  const expiryTs = values.expires === undefined ? null : Date.parse(values.expires);
  if (expiryTs !== null && Number.isNaN(expiryTs)) throw new UsageError('--expires must be a date such as 2027-01-31T00:00:00Z');
  const config = loadConfig({ configPath: values.config });
  const created = await createRegistrationToken(config, { token: values.token, usesAllowed, expiryTs });
  process.stdout.write(`${created.token}\n`);
  return EXIT_OK;
}

/** `parley make-admin <userId> [--revoke]`: sets the user's admin flag in the configured database. */
async function makeAdmin(values: { config?: string; revoke?: boolean }, args: readonly string[]): Promise<number> {
  const [userId, extra] = args;
  if (userId === undefined) throw new UsageError('make-admin needs a user ID, e.g. parley make-admin @alice:example.org');
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  const config = loadConfig({ configPath: values.config });
  const admin = values.revoke !== true;
  if (!(await setServerAdmin(config, userId, { admin }))) {
    console.error(`no local user ${userId}`);
    return EXIT_FAILURE;
  }
  console.error(admin ? `${userId} is now a server admin` : `${userId} is no longer a server admin`);
  return EXIT_OK;
}

/** One line on stderr, never a stack trace; returns the exit code. */
function reportFailure(error: unknown): number {
  if (error instanceof ConfigError) {
    console.error(error.message);
    return EXIT_USAGE;
  }
  if (error instanceof UsageError || isParseArgsError(error)) {
    console.error(`parley: ${errorMessage(error)} (see parley --help)`);
    return EXIT_USAGE;
  }
  console.error(`parley: ${errorMessage(error)}`);
  return EXIT_FAILURE;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** True when this file is the process's entry point (`tsx src/cli.ts`), not imported (bin/parley.js, tests). */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const exitCode = await runCli(process.argv.slice(2));
  // `start` keeps running after it resolves; only finished commands and failures exit here.
  if (exitCode !== EXIT_OK) process.exit(exitCode);
}
