/**
 * Server configuration: environment variables, optionally a JSON config file (`CONFIG_FILE`) whose keys
 * are the same names; the environment wins. Validated with zod at start; every problem is reported at once.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * A number from the environment (a string of decimal digits) or the config file (a JSON number). Nothing
 * else is turned into one: `true`, `null`, `""`, `[5000]`, `0x10` or `1e3` are refused, not read as 1, 0 or 16.
 */
const numeric = (pattern: RegExp, what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && pattern.test(v.trim()) ? Number(v.trim()) : v),
    z.number({ error: (issue) => `must be ${what} (got ${JSON.stringify(issue.input) ?? String(issue.input)})` }),
  );
const numberFrom = (min: number, max: number) =>
  numeric(/^-?(\d+(\.\d*)?|\.\d+)$/, 'a number').refine((n) => Number.isFinite(n) && n >= min && n <= max, {
    message: `must be a number from ${min} to ${max}`,
  });
const intFrom = (min: number, max: number) => numeric(/^-?\d+$/, 'an integer').pipe(z.number().int('must be an integer').min(min).max(max));

const schema = z
  .object({
    PORT: intFrom(0, 65535).default(5050),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATABASE_URL: z
      .string()
      .min(1)
      .refine((u) => (u.startsWith('sqlite:') && u.replace(/^sqlite:(\/\/)?/, '') !== '') || u.startsWith('postgres://') || u.startsWith('postgresql://'), {
        message: 'must be sqlite:<file>, sqlite::memory: or postgres://...',
      })
      .default('sqlite:./data/liap-tui.db'),
    REDIS_URL: z
      .string()
      .refine((u) => u.startsWith('redis://') || u.startsWith('rediss://'), { message: 'must be redis://... or rediss://...' })
      .optional(),
    STATIC_DIR: z
      .string()
      .min(1)
      .refine((p) => existsSync(p), { error: (issue) => `${String(issue.input)} does not exist` })
      .refine((p) => !existsSync(p) || statSync(p).isDirectory(), { error: (issue) => `${String(issue.input)} is not a directory` })
      .optional(),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    ADMIN_TOKEN: z
      .string()
      .min(16, 'must be at least 16 characters')
      // Header values arrive trimmed: a token with spaces at either end could never match.
      .refine((t) => t === t.trim() && !/\s/.test(t), 'must not contain spaces')
      .optional(),
    RATE_LIMITS_FILE: z.string().min(1).refine((p) => existsSync(p), { error: (issue) => `${String(issue.input)} does not exist` }).optional(),
    GAME_TIME_SCALE: numberFrom(0, 100).default(1),
    /** `session` (default): a seat is bound to the browser session that took it. `name`: any socket naming the player (development only). */
    SEAT_BINDING: z.enum(['session', 'name']).default('session'),
    /** Snapshot a room every N events (and at every round end). */
    SNAPSHOT_EVERY: intFrom(1, 100_000).default(100),
    /** Pre-game: how long a host who closed with 1001 (refresh) has to come back before the room closes. */
    HOST_REFRESH_GRACE_MS: intFrom(0, 600_000).default(5_000),
    /** After a restart: how long players of running games have to reconnect before a bot takes their seat. */
    RECONNECT_GRACE_MS: intFrom(0, 600_000).default(10_000),
    /**
     * Lobby: least time between two `room_list_update` broadcasts (the full directory). Changes in between
     * are merged into the next one, so a burst of room changes costs each lobby socket a bounded number of
     * lists; 0 = one per event-loop turn.
     */
    LOBBY_UPDATE_INTERVAL_MS: intFrom(0, 60_000).default(200),
    /**
     * SQLite durability. `NORMAL` (default, WAL): a killed process loses nothing committed, a power loss or
     * kernel crash may lose the last commits. `FULL`: every commit is fsynced before the table hears of it,
     * so not even a power loss loses an acknowledged move, at the cost of an fsync per action.
     */
    SQLITE_SYNCHRONOUS: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
    /** PostgreSQL: most connections in the pool. */
    DATABASE_POOL_MAX: intFrom(1, 1_000).default(10),
    /** In game: how long a room with no connected human lives before it is closed. */
    ROOM_ABANDON_MS: intFrom(0, 86_400_000).default(30_000),
    /** Readiness: a room whose oldest queued command waits longer than this counts as stuck. */
    STUCK_MAILBOX_MS: intFrom(100, 600_000).default(10_000),
    /** Shutdown: pause between failing readiness and closing sockets, and the overall budget. */
    SHUTDOWN_DRAIN_DELAY_MS: intFrom(0, 120_000).default(2_000),
    SHUTDOWN_BUDGET_MS: intFrom(1_000, 600_000).default(15_000),
    /**
     * Start-up: how long to wait while another instance serves the same database (a deploy that starts the new
     * process before the old one has drained) before giving up with an error. One instance per database.
     */
    INSTANCE_LOCK_WAIT_MS: intFrom(0, 600_000).default(30_000),
    /**
     * `random` (production). `forced_weak`: the rules' test dealing mode (seat 0 gets a weak hand on the
     * first two deals of every round, always 8/8/8/8) -- for tests and demos of the redeal flow only.
     */
    GAME_DEALING: z.enum(['random', 'forced_weak']).default('random'),
    /**
     * The default bot (decision 11): `legacy` is the original's strategy (§9.2); `strategic` the newer one
     * (§9.3). Legacy bots rarely reach 50 among themselves, so all-bot tables play on for a long time.
     */
    BOT_LEVEL: z.enum(['legacy', 'strategic']).default('legacy'),
    /** Largest inbound frame accepted (bytes). */
    MAX_FRAME_BYTES: intFrom(256, 1_048_576).default(16_384),
  })
  .strict();

/** The validated configuration. */
export type ServerConfig = z.infer<typeof schema> & { readonly staticDir: string | undefined };

/** Thrown for invalid configuration; `problems` lists every bad key. */
export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const KEYS = Object.keys(schema.shape) as Array<keyof z.infer<typeof schema>>;

/**
 * Reads and validates the configuration from `env` (and `CONFIG_FILE` if set). Unknown keys in the
 * file are errors; unrelated environment variables are ignored.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}): ServerConfig {
  const problems: string[] = [];
  let fromFile: Record<string, unknown> = {};
  const file = env['CONFIG_FILE'];
  if (file) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) problems.push(`CONFIG_FILE ${file}: must hold a JSON object`);
      else fromFile = parsed as Record<string, unknown>;
    } catch (err) {
      problems.push(`CONFIG_FILE ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const raw: Record<string, unknown> = { ...fromFile };
  for (const key of KEYS) {
    const v = env[key];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  Object.assign(raw, overrides);
  const result = schema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.join('.') || '(file)';
      problems.push(issue.code === 'unrecognized_keys' ? `unknown setting(s): ${issue.keys.join(', ')}` : `${key}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const cfg = result.data;
  let staticDir = cfg.STATIC_DIR;
  if (!staticDir && existsSync('static')) staticDir = path.resolve('static');
  return { ...cfg, staticDir };
}
