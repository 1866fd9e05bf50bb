/**
 * The one configuration schema: it validates the YAML/env input, supplies the defaults, and (through its
 * descriptions) writes the commented default config (see generate.ts). Every object is strict, so a typo in
 * a key name is an error rather than a silently ignored setting.
 */
import { z } from 'zod';
import { decodeBase64 } from '@parley/federation';
import { parseSigningKeyLine } from '@parley/federation';
import { isValidServerName } from '@parley/federation';
import { LOG_LEVELS } from '../log.js';

/** Extra information the generator and the env mapping read from a field's metadata. */
export interface FieldMeta {
  description: string;
  /** Shown commented out in the generated config for optional keys without a default. */
  example?: string;
  /** Plain env var names accepted besides the derived `PARLEY_<PATH>` one (the derived one wins). */
  envAliases?: readonly string[];
}

function field<T extends z.ZodType>(schema: T, meta: FieldMeta): T {
  return schema.meta({ ...meta });
}

const PORT_MESSAGE = 'expected an integer between 1 and 65535';
const port = z.int({ error: PORT_MESSAGE }).min(1, PORT_MESSAGE).max(65535, PORT_MESSAGE);

// https://spec.matrix.org/v1.19/appendices/#server-name
const SERVER_NAME_MESSAGE = 'expected a server name: a hostname or IP literal with an optional :port';
const serverName = z.string({ error: SERVER_NAME_MESSAGE }).refine(isValidServerName, SERVER_NAME_MESSAGE);

const HTTP_URL_MESSAGE = 'expected an http:// or https:// URL';
const httpUrl = z.string({ error: HTTP_URL_MESSAGE }).refine((text) => hasScheme(text, ['http:', 'https:']), HTTP_URL_MESSAGE);

const DATABASE_URL_MESSAGE = 'expected a postgres://, postgresql:// or sqlite: URL';
const databaseUrl = z
  .string({ error: DATABASE_URL_MESSAGE })
  .refine((text) => text.startsWith('sqlite:') || hasScheme(text, ['postgres:', 'postgresql:']), DATABASE_URL_MESSAGE);

const REDIS_URL_MESSAGE = 'expected a redis:// or rediss:// URL';
const redisUrl = z.string({ error: REDIS_URL_MESSAGE }).refine((text) => hasScheme(text, ['redis:', 'rediss:']), REDIS_URL_MESSAGE);

const PATH_MESSAGE = 'expected a non-empty path';
const filePath = z.string({ error: PATH_MESSAGE }).min(1, PATH_MESSAGE);

const SIGNING_KEY_MESSAGE = 'expected a signing key line "ed25519 <version> <unpadded base64 seed>"';
const signingKeyLine = z.string({ error: SIGNING_KEY_MESSAGE }).refine((line) => {
  try {
    parseSigningKeyLine(line);
    return true;
  } catch {
    return false;
  }
}, SIGNING_KEY_MESSAGE);

const KEY_ID_MESSAGE = 'expected a key ID "ed25519:<version>" with a version of [a-zA-Z0-9_]';
const PUBLIC_KEY_MESSAGE = 'expected the unpadded base64 of a 32-byte ed25519 public key';
const TIMESTAMP_MESSAGE = 'expected a timestamp in milliseconds since the epoch';
const oldVerifyKey = z.strictObject({
  key: z.string({ error: PUBLIC_KEY_MESSAGE }).refine(isBase64PublicKey, PUBLIC_KEY_MESSAGE),
  expired_ts: z.int({ error: TIMESTAMP_MESSAGE }).nonnegative(TIMESTAMP_MESSAGE),
}, { error: 'expected a mapping with key and expired_ts' });

const MAPPING = { error: 'expected a mapping of keys' };

const BODY_SIZE_MESSAGE = 'expected a positive integer number of bytes';

const RATE_MESSAGE = 'expected a positive number';

/** One rate-limited action: a bucket of `burst_count` requests refilled at `per_second`. */
function rateLimitAction(perSecond: number, burstCount: number, description: string) {
  return field(
    z
      .strictObject({
        per_second: field(z.number({ error: RATE_MESSAGE }).positive(RATE_MESSAGE).default(perSecond), {
          description: 'Sustained requests per second.',
        }),
        burst_count: field(z.int({ error: 'expected a positive integer' }).positive('expected a positive integer').default(burstCount), {
          description: 'Requests allowed at once before the sustained rate applies.',
        }),
      }, MAPPING)
      .prefault({}),
    { description },
  );
}

/** Rate limits per action; see http/middleware/rate-limit.ts. */
function rateLimitsSchema() {
  return z
    .strictObject({
      enabled: field(z.boolean({ error: 'expected true or false' }).default(true), {
        description: 'Set to false to turn every rate limit off (for tests and benchmarks).',
      }),
      login: rateLimitAction(0.2, 5, 'POST /login attempts per IP; also wrong passwords (on /login and in user-interactive auth) per account and per IP.'),
      register: rateLimitAction(0.1, 5, 'Accounts created through POST /register, and failed registration auth stages (a wrong registration token), per IP.'),
      registration_requests: rateLimitAction(2, 100, 'Every POST /register (flow discovery and UIA rounds included), GET /register/available (clients check it while the user types) and registration token validity checks, per IP.'),
      message: rateLimitAction(5, 30, 'Messages and other room events sent, per user.'),
      create_room: rateLimitAction(0.1, 10, 'POST /createRoom (and room upgrades), per user.'),
      state: rateLimitAction(1, 30, 'State events set through PUT /rooms/{roomId}/state, per user.'),
      membership: rateLimitAction(1, 30, 'Joins, leaves, invites, knocks, kicks, bans, unbans and forgets, per user.'),
      profile: rateLimitAction(0.1, 10, 'Profile changes (PUT and DELETE /profile/{userId}/{keyName}; display name and avatar changes are copied into every joined room), per user.'),
      key_upload: rateLimitAction(5, 100, 'POST /keys/upload, /keys/device_signing/upload and /keys/signatures/upload, per user.'),
      report: rateLimitAction(0.05, 10, 'Reports of events, rooms and users, per user.'),
      openid: rateLimitAction(0.2, 10, 'POST /user/{userId}/openid/request_token (a widget or service sign-in each), per user.'),
    }, MAPPING)
    .prefault({});
}

const COUNT_MESSAGE = 'expected a positive integer';

/** One positive integer limit with its default. */
function limit(defaultValue: number, description: string) {
  return field(z.int({ error: COUNT_MESSAGE }).positive(COUNT_MESSAGE).default(defaultValue), { description });
}

/** Limits per request and quotas per user or device; every one is listed in spec/limits.md. */
function limitsSchema() {
  return z
    .strictObject({
      json_max_depth: limit(64, 'Deepest nesting of objects and arrays accepted in a JSON request body (400 M_BAD_JSON beyond).'),
      create_room_max_initial_state: limit(100, 'Most initial_state events one POST /createRoom may carry.'),
      create_room_max_invites: limit(100, 'Most users one POST /createRoom may invite (invite and invite_3pid together).'),
      keys_query_max_users: limit(10_000, 'Most users one POST /keys/query may ask about.'),
      keys_claim_max_devices: limit(10_000, 'Most devices one POST /keys/claim may claim a key of.'),
      one_time_keys_per_upload: limit(200, 'Most one-time keys (and fallback keys) one POST /keys/upload may carry.'),
      one_time_keys_per_device: limit(1_000, 'Most unclaimed one-time keys stored for one device.'),
      to_device_backlog_per_device: limit(10_000, 'Most undelivered to-device messages kept for one device; the oldest are dropped beyond.'),
      account_data_max_entries: limit(10_000, 'Most client-set account data entries (global and per room together) per user.'),
      account_data_max_bytes: limit(10 * 1024 * 1024, 'Largest total size in bytes of one user\'s client-set account data.'),
      account_data_entry_max_bytes: limit(1024 * 1024, 'Largest size in bytes of one account data entry.'),
      filter_max_bytes: limit(64 * 1024, 'Largest sync filter in bytes (stored with POST /filter or given inline to /sync).'),
      sync_buffer_events_per_room: limit(50, 'Recent events per room each process keeps in memory for woken /sync requests.'),
      sync_buffer_max_events: limit(20_000, 'Recent events each process keeps in memory over all rooms; least recently synced rooms are dropped beyond.'),
      push_rules_per_user: limit(500, 'Most push rules one user may define (Element adds one per keyword and per room with its own notification setting).'),
      push_rule_pattern_max_length: limit(1_024, 'Longest pattern of a push rule or an event_match condition.'),
      displayname_max_length: limit(256, 'Longest profile display name, in characters.'),
      avatar_url_max_length: limit(1_000, 'Longest profile avatar_url, in characters.'),
      device_display_name_max_length: limit(100, 'Longest device display name, in characters.'),
      user_directory_search_term_max_length: limit(256, 'Longest search term accepted by POST /user_directory/search.'),
    }, MAPPING)
    .prefault({});
}

/** The configuration schema. Keys are snake_case as in the YAML file. */
export const configSchema = z.strictObject({
  server_name: field(serverName.optional(), {
    description:
      'The public name of this server: the part after the colon in @user:server_name. It is baked into every ' +
      'user and room ID, so it cannot change once the server is in use. Default: localhost:<listen.port>.',
    example: 'example.org',
  }),
  public_baseurl: field(httpUrl.optional(), {
    description:
      'The URL clients use to reach this server, advertised in /.well-known/matrix/client. ' +
      'Default: http://<listen.bind>:<listen.port> (localhost when binding all interfaces).',
    example: 'https://matrix.example.org',
  }),
  listen: field(
    z
      .strictObject({
        bind: field(z.string({ error: 'expected an IP address or hostname' }).min(1, 'expected an IP address or hostname').default('127.0.0.1'), {
          description: 'The address to listen on. Use 0.0.0.0 (or ::) to accept connections from other machines.',
          envAliases: ['PARLEY_BIND'],
        }),
        port: field(port.default(8008), {
          description: 'The TCP port for the client, federation, metrics and health endpoints.',
          envAliases: ['PARLEY_PORT'],
        }),
      }, MAPPING)
      .prefault({}),
    { description: 'Where the HTTP listener binds.' },
  ),
  data_dir: field(filePath.default('./data'), {
    description:
      'Directory for the SQLite database, the signing key and media. Relative paths (here and in the other ' +
      'path settings) are resolved against the directory parley was started from.',
  }),
  database: field(
    z
      .strictObject({
        url: field(databaseUrl.optional(), {
          description:
            'postgres://user:password@host:5432/db for PostgreSQL, or sqlite:<path> for an SQLite file. ' +
            'Default: SQLite at <data_dir>/parley.db.',
          example: 'postgres://parley@127.0.0.1:5432/parley',
          envAliases: ['DATABASE_URL'],
        }),
      }, MAPPING)
      .prefault({}),
    { description: 'The database that holds everything except media files.' },
  ),
  redis: field(
    z
      .strictObject({
        url: field(redisUrl.optional(), {
          description:
            'redis://host:6379 to share wake-ups between several parley processes. Without it, notifications stay in this process.',
          example: 'redis://127.0.0.1:6379',
          envAliases: ['REDIS_URL'],
        }),
      }, MAPPING)
      .prefault({}),
    { description: 'Optional Redis for pub/sub between processes.' },
  ),
  signing_key_path: field(filePath.optional(), {
    description:
      'File holding the server signing key (one line: "ed25519 <version> <base64 seed>"). Created on first ' +
      'start if missing. Ignored when signing_key is set. Default: <data_dir>/signing.key.',
    example: './data/signing.key',
  }),
  signing_key: field(signingKeyLine.optional(), {
    description:
      'The server signing key itself, "ed25519 <version> <base64 seed>". Keep it secret and never change it ' +
      'casually: other servers cache it. When unset, signing_key_path is used.',
    example: 'ed25519 a_AbCd <base64 seed>',
  }),
  old_verify_keys: field(
    z
      .record(z.string({ error: KEY_ID_MESSAGE }).regex(/^ed25519:[a-zA-Z0-9_]+$/, KEY_ID_MESSAGE), oldVerifyKey, {
        error: 'expected a mapping of key IDs to { key, expired_ts }',
      })
      .default({}),
    {
      description:
        'Public keys this server signed with in the past, published so that other servers can still check old ' +
        'events: { "ed25519:<version>": { key: <unpadded base64>, expired_ts: <ms since epoch> } }. ' +
        'As an environment variable, give it as JSON.',
    },
  ),
  registration: field(
    z
      .strictObject({
        mode: field(z.enum(['open', 'token', 'closed'], { error: 'expected one of open, token, closed' }).default('open'), {
          description:
            'open: anyone can create an account; token: a registration token is required; closed: no new accounts.',
          envAliases: ['PARLEY_REGISTRATION'],
        }),
        allow_guests: field(z.boolean({ error: 'expected true or false' }).default(false), {
          description:
            'Whether anyone may get a guest account (POST /register?kind=guest): no password, a numeric user ID, ' +
            'and only the endpoints the spec allows guests (reading and sending in rooms that allow guests, sync, ' +
            'devices, E2EE keys). A guest can later upgrade to a full account when registration is open. ' +
            'Independent of mode.',
        }),
      }, MAPPING)
      .prefault({}),
    { description: 'Who may create accounts.' },
  ),
  sessions: field(
    z
      .strictObject({
        refreshable_access_token_lifetime_ms: field(
          z.int({ error: 'expected a positive integer of milliseconds' }).positive('expected a positive integer of milliseconds').default(5 * 60 * 1000),
          {
            description:
              'How long an access token lives when the client asked for a refresh token (refresh_token: true on ' +
              '/login or /register). Tokens issued without a refresh token never expire.',
          },
        ),
        password_hash_concurrency: field(z.int({ error: 'expected a positive integer' }).positive('expected a positive integer').default(2), {
          description:
            'How many password hashes (scrypt, 32 MiB each) run at once; further logins and password checks wait their ' +
            'turn in arrival order, so a flood of guesses cannot starve other users\' logins.',
        }),
      }, MAPPING)
      .prefault({}),
    { description: 'Login sessions and access tokens.' },
  ),
  rate_limits: field(rateLimitsSchema(), {
    description:
      'Request rate limits, per user when the request carries an access token and per client IP otherwise. ' +
      'Each action allows burst_count requests at once, refilled at per_second. Counters live in Redis when ' +
      'redis.url is set (shared by every process), in memory otherwise. Excess requests get 429 M_LIMIT_EXCEEDED.',
  }),
  presence: field(
    z
      .strictObject({
        enabled: field(z.boolean({ error: 'expected true or false' }).default(true), {
          description:
            'Track and serve presence (online/unavailable/offline, last active, status messages). Set to false on ' +
            'busy servers: PUT /presence is then accepted and ignored, and everyone reads as offline.',
        }),
      }, MAPPING)
      .prefault({}),
    { description: 'Presence: who is online, shared only with users who share a room.' },
  ),
  user_directory: field(
    z
      .strictObject({
        search_all_users: field(z.boolean({ error: 'expected true or false' }).default(false), {
          description:
            'false: /user_directory/search finds users who share a room with the searcher or sit in a public room. ' +
            'true: it finds every local user with a profile (for private company servers where everyone may be found).',
        }),
      }, MAPPING)
      .prefault({}),
    { description: 'The user directory (finding people by name).' },
  ),
  http: field(
    z
      .strictObject({
        request_timeout_ms: field(z.int({ error: 'expected a positive integer of milliseconds' }).positive('expected a positive integer of milliseconds').default(30_000), {
          description:
            'How long a client may take to send one whole request (headers and body); slower connections are closed. ' +
            'Guards against clients that trickle a body byte by byte to hold sockets open.',
        }),
        headers_timeout_ms: field(z.int({ error: 'expected a positive integer of milliseconds' }).positive('expected a positive integer of milliseconds').default(10_000), {
          description: 'How long a client may take to send the request headers.',
        }),
        keep_alive_timeout_ms: field(z.int({ error: 'expected a positive integer of milliseconds' }).positive('expected a positive integer of milliseconds').default(5_000), {
          description: 'How long an idle keep-alive connection stays open between requests.',
        }),
        trust_proxy: field(z.boolean({ error: 'expected true or false' }).default(false), {
          description:
            'Set to true when parley runs behind a reverse proxy (nginx, Caddy...) that sets X-Forwarded-For: rate ' +
            'limits and the last-seen IP of devices then use the client address the proxy reports. Leave false when ' +
            'clients connect directly, or anyone could fake their address with that header.',
        }),
      }, MAPPING)
      .prefault({}),
    { description: 'The HTTP listener: timeouts, and running behind a proxy.' },
  ),
  rooms: field(
    z
      .strictObject({
        redaction_retention_ms: field(
          z.int({ error: 'expected a non-negative integer of milliseconds' }).nonnegative('expected a non-negative integer of milliseconds').default(7 * 24 * 60 * 60 * 1000),
          {
            description:
              'How long the original content of a redacted (deleted) event is kept for admins and moderation before it ' +
              'is purged from the database, by a background job that runs every minute (every second when the ' +
              'retention is shorter than a minute). Default: 7 days.',
          },
        ),
      }, MAPPING)
      .prefault({}),
    { description: 'Rooms and events.' },
  ),
  jobs: field(
    z
      .strictObject({
        lease_ttl_ms: field(
          z.int({ error: 'expected an integer of milliseconds' }).min(300, 'expected at least 300 ms').max(600_000, 'expected at most 600000 ms').default(15_000),
          {
            description:
              'Background jobs (typing and presence timeouts, the redaction purge) run in exactly one process of a ' +
              'deployment: the holder of the job\'s lease in the database, renewed every third of this time. A ' +
              'stopped process releases its leases at once; a crashed one is taken over after this time. Default: 15 s.',
          },
        ),
      }, MAPPING)
      .prefault({}),
    { description: 'Background jobs shared by the processes of one deployment.' },
  ),
  log: field(
    z
      .strictObject({
        level: field(z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'), {
          description: 'Minimum level of the JSON log lines written to stdout. debug also logs every request.',
        }),
      }, MAPPING)
      .prefault({}),
    { description: 'Logging.' },
  ),
  well_known: field(
    z
      .strictObject({
        client_base_url: field(httpUrl.optional(), {
          description: 'm.homeserver.base_url served at /.well-known/matrix/client. Default: public_baseurl.',
          example: 'https://matrix.example.org',
        }),
        server_delegation: field(serverName.optional(), {
          description:
            'm.server served at /.well-known/matrix/server: where other servers connect for federation. ' +
            'Default: the host and port of public_baseurl.',
          example: 'matrix.example.org:443',
        }),
      }, MAPPING)
      .prefault({}),
    { description: 'Discovery documents served under /.well-known/matrix/.' },
  ),
  limits: field(limitsSchema(), {
    description:
      'Bounds on what one request or one account may ask of the server. See spec/limits.md for what each protects.',
  }),
  max_request_body_bytes: field(
    z.int({ error: BODY_SIZE_MESSAGE }).positive(BODY_SIZE_MESSAGE).default(10 * 1024 * 1024),
    { description: 'Largest JSON request body accepted, in bytes; bigger requests get 413 M_TOO_LARGE.' },
  ),
}, MAPPING);

/** The config as written in YAML (everything optional). */
export type ConfigInput = z.input<typeof configSchema>;
/** The config after validation and defaults, before paths and derived values are resolved. */
export type ParsedConfig = z.output<typeof configSchema>;

/** The fully resolved config the server runs with: absolute paths, derived defaults filled in. */
export interface Config extends Omit<ParsedConfig, 'server_name' | 'public_baseurl' | 'signing_key_path' | 'database'> {
  server_name: string;
  /** Without a trailing slash. */
  public_baseurl: string;
  /** Absolute. */
  data_dir: string;
  /** Absolute. */
  signing_key_path: string;
  database: {
    /** Set only for PostgreSQL. */
    url?: string;
    /** Absolute path of the SQLite file, used when `url` is unset. */
    sqlite_path: string;
  };
}

/** The kinds of leaf values, which decide how an env var string is read. */
export type LeafKind = 'string' | 'integer' | 'boolean' | 'json';

/** One settable key of the schema. */
export interface ConfigLeaf {
  path: readonly string[];
  kind: LeafKind;
  meta: FieldMeta;
}

/** A node of the schema as the generator and the env mapping see it. */
export interface SchemaNode {
  /** The schema with optional/default wrappers removed. */
  inner: z.ZodType;
  meta: FieldMeta | undefined;
  /** The default value when the key is absent, if it has one that is a plain value. */
  defaultValue: unknown;
  hasDefault: boolean;
}

/** Strips `.optional()`, `.default()` and `.prefault()` wrappers, keeping the outermost metadata. */
export function describeSchemaNode(schema: z.ZodType): SchemaNode {
  const meta = readMeta(schema);
  let inner: z.ZodType = schema;
  let defaultValue: unknown = undefined;
  let hasDefault = false;
  for (;;) {
    if (inner instanceof z.ZodDefault || inner instanceof z.ZodPrefault) {
      if (!hasDefault) {
        hasDefault = true;
        defaultValue = inner.def.defaultValue;
      }
      inner = inner.def.innerType as z.ZodType;
    } else if (inner instanceof z.ZodOptional) {
      inner = inner.def.innerType as z.ZodType;
    } else {
      return { inner, meta, defaultValue, hasDefault };
    }
  }
}

/** The keys of an object schema (after unwrapping), or undefined for leaves. */
export function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const { inner } = describeSchemaNode(schema);
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>) : undefined;
}

/** Every leaf key of the config, in schema order. */
export function configLeaves(schema: z.ZodType = configSchema, prefix: readonly string[] = []): ConfigLeaf[] {
  const shape = objectShape(schema);
  if (!shape) throw new Error('configLeaves expects an object schema');
  const leaves: ConfigLeaf[] = [];
  for (const [key, child] of Object.entries(shape)) {
    const path = [...prefix, key];
    if (objectShape(child)) {
      leaves.push(...configLeaves(child, path));
    } else {
      const node = describeSchemaNode(child);
      leaves.push({ path, kind: leafKind(node.inner), meta: node.meta ?? { description: '' } });
    }
  }
  return leaves;
}

/** The env var that overrides a key: `PARLEY_` + the path in upper snake case. */
export function envVarName(path: readonly string[]): string {
  return `PARLEY_${path.join('_').toUpperCase()}`;
}

function leafKind(inner: z.ZodType): LeafKind {
  if (inner instanceof z.ZodNumber) return 'integer';
  if (inner instanceof z.ZodBoolean) return 'boolean';
  if (inner instanceof z.ZodRecord || inner instanceof z.ZodObject || inner instanceof z.ZodArray) return 'json';
  return 'string';
}

function readMeta(schema: z.ZodType): FieldMeta | undefined {
  const meta = schema.meta();
  if (!meta || typeof meta.description !== 'string') return undefined;
  return meta as unknown as FieldMeta;
}

function hasScheme(text: string, schemes: readonly string[]): boolean {
  try {
    return schemes.includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

function isBase64PublicKey(text: string): boolean {
  try {
    return decodeBase64(text).length === 32;
  } catch {
    return false;
  }
}
