import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import {
  createDatabase,
  InvalidDatabaseConfigError,
  migrate,
  parseDatabaseUrl,
  transaction,
  type Database,
} from '@game/persistence';
import { sql, type Kysely } from 'kysely';
import { EventStoreError, InvalidArgumentError } from '../../errors.js';
import { eventStoreMigrations } from '../../migrations.js';
import { createSqlEventStore } from '../sql-event-store.js';
import type { EventStore, ExportedEvent, RecordedEvent } from '../../types.js';

/** Where the CLI writes and what it reads from the environment (injectable for tests). */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Exit codes: 0 done, 1 the operation found problems or failed, 2 bad usage. */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

class UsageError extends Error {}

interface Reducer {
  initialState: unknown;
  evolve: (state: unknown, event: unknown) => unknown;
  decode?: (event: RecordedEvent) => unknown;
}

async function loadReducer(spec: string, cwd: string): Promise<Reducer> {
  const file = path.resolve(cwd, spec);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`cannot load reducer module ${file}: ${String(err)}`);
  }
  const candidate = (typeof mod['evolve'] === 'function' ? mod : (mod['default'] ?? mod['decider'])) as
    Partial<Reducer> | undefined;
  if (!candidate || typeof candidate.evolve !== 'function' || !('initialState' in candidate)) {
    throw new UsageError(
      `reducer module ${file} must export evolve(state, event) and initialState (or a default/decider object with them)`,
    );
  }
  const init = candidate.initialState;
  return {
    initialState: typeof init === 'function' ? (init as () => unknown)() : structuredClone(init),
    evolve: candidate.evolve.bind(candidate),
    ...(typeof candidate.decode === 'function' ? { decode: candidate.decode } : {}),
  };
}

function parseUntil(value: string): { toVersion: number } | { untilTime: Date } {
  if (/^\d+$/.test(value)) return { toVersion: Number(value) };
  const t = new Date(value);
  if (Number.isNaN(t.getTime()))
    throw new UsageError(`--until must be a version number or an ISO time, got "${value}"`);
  return { untilTime: t };
}

function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a non-negative integer, got "${value}"`);
    return Number(value);
  };
}

const toExported = (e: RecordedEvent): ExportedEvent => ({
  id: e.id,
  streamId: e.streamId,
  version: e.version,
  position: e.position,
  type: e.type,
  data: e.data,
  metadata: e.metadata,
  schemaVersion: e.schemaVersion,
  recordedAt: e.recordedAt.toISOString(),
});

async function* allEvents(store: EventStore, pageSize = 1000): AsyncGenerator<RecordedEvent> {
  let after = 0;
  for (;;) {
    const page = await store.readAll({ after, limit: pageSize });
    if (page.length === 0) return;
    yield* page;
    after = page[page.length - 1]!.position;
  }
}

async function* streamEvents(
  store: EventStore,
  streamId: string,
  options: { fromVersion?: number; toVersion?: number; untilTime?: Date },
) {
  let from = options.fromVersion ?? 0;
  for (;;) {
    const page = await store.readStream(streamId, { ...options, fromVersion: from, limit: 1000 });
    yield* page;
    if (page.length < 1000) return;
    from = page[page.length - 1]!.version + 1;
  }
}

/** Creates a file that must not exist yet; resolves once it is open. */
function createNewFile(file: string): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(file, { flags: 'wx' });
    out.once('open', () => {
      out.off('error', reject);
      resolve(out);
    });
    out.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EEXIST' ? new UsageError(`${file} already exists; refusing to overwrite it`) : err,
      ),
    );
  });
}

function writeTo(out: WriteStream, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.write(line)) resolve();
    else {
      out.once('drain', resolve);
      out.once('error', reject);
    }
  });
}

function endStream(out: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
}

/** A problem `verify` found. */
interface Problem {
  kind: 'version_gap' | 'duplicate' | 'unreadable' | 'stream_version_mismatch';
  streamId: string;
  detail: string;
}

async function verify(db: Database, io: CliIo): Promise<Problem[]> {
  const k = db.kysely as unknown as Kysely<Record<string, Record<string, unknown>>>;
  const problems: Problem[] = [];
  const textJson = !db.capabilities.jsonb;
  let lastStream: string | null = null;
  let lastVersion = 0;
  let ids = new Set<string>();
  let checked = 0;
  const heads = new Map<string, number>();
  const streamRows = await sql<{
    stream_id: string;
    version: number | string;
  }>`select stream_id, version from es_streams`.execute(k);
  for (const r of streamRows.rows) heads.set(r.stream_id, Number(r.version));
  const closeStream = () => {
    if (lastStream === null) return;
    const head = heads.get(lastStream) ?? 0;
    if (head !== lastVersion) {
      problems.push({
        kind: 'stream_version_mismatch',
        streamId: lastStream,
        detail: `stream row says ${head}, last event is ${lastVersion}`,
      });
    }
    heads.delete(lastStream);
  };
  type Row = {
    stream_id: string;
    version: number | string;
    event_id: string;
    data: unknown;
    metadata: unknown;
    position: number | string;
  };
  let cursor: { stream: string; version: number } | null = null;
  for (;;) {
    const page: { rows: Row[] } = await sql<Row>`
      select stream_id, version, event_id, data, metadata, position from es_events
      ${cursor ? sql`where (stream_id > ${cursor.stream} or (stream_id = ${cursor.stream} and version > ${cursor.version}))` : sql``}
      order by stream_id, version limit 2000`.execute(k);
    if (page.rows.length === 0) break;
    for (const row of page.rows) {
      const version = Number(row.version);
      if (row.stream_id !== lastStream) {
        closeStream();
        lastStream = row.stream_id;
        ids = new Set();
        let compacted = false;
        if (version > 1) {
          try {
            const meta = (textJson ? JSON.parse(row.metadata as string) : row.metadata) as Record<
              string,
              unknown
            >;
            compacted = typeof meta['compactedTo'] === 'number';
          } catch {
            compacted = false;
          }
          if (!compacted)
            problems.push({
              kind: 'version_gap',
              streamId: row.stream_id,
              detail: `first event has version ${version}`,
            });
        }
      } else if (version === lastVersion) {
        problems.push({
          kind: 'duplicate',
          streamId: row.stream_id,
          detail: `version ${version} stored twice`,
        });
      } else if (version !== lastVersion + 1) {
        problems.push({
          kind: 'version_gap',
          streamId: row.stream_id,
          detail: `version ${lastVersion} is followed by ${version}`,
        });
      }
      if (ids.has(row.event_id))
        problems.push({
          kind: 'duplicate',
          streamId: row.stream_id,
          detail: `event id ${row.event_id} stored twice`,
        });
      ids.add(row.event_id);
      if (textJson) {
        for (const [col, value] of [
          ['data', row.data],
          ['metadata', row.metadata],
        ] as const) {
          try {
            JSON.parse(value as string);
          } catch (err) {
            problems.push({
              kind: 'unreadable',
              streamId: row.stream_id,
              detail: `version ${version} (position ${Number(row.position)}): ${col} is not JSON (${(err as Error).message})`,
            });
          }
        }
      }
      lastVersion = version;
      checked++;
      if (checked % 10_000 === 0) io.stderr(`verify: ${checked} events checked\n`);
    }
    const last: Row = page.rows[page.rows.length - 1]!;
    cursor = { stream: last.stream_id, version: Number(last.version) };
  }
  closeStream();
  for (const [streamId, version] of heads) {
    if (version > 0)
      problems.push({
        kind: 'stream_version_mismatch',
        streamId,
        detail: `stream row says ${version}, no events stored`,
      });
  }
  io.stderr(`verify: ${checked} events checked, ${problems.length} problem(s)\n`);
  return problems;
}

/** Runs the `game-events` CLI; resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let db: Database | null = null;
  let store: EventStore | null = null;
  let code: number = exitCodes.ok;
  /** Opens the database; only `migrate` (`create`) may create a SQLite file that does not exist. */
  const open = async (
    opts: { db?: string },
    create = false,
  ): Promise<{ db: Database; store: EventStore }> => {
    const url = opts.db ?? io.env['DATABASE_URL'];
    if (!url)
      throw new UsageError(
        'no database: pass --db <url> or set DATABASE_URL (sqlite:<file> or postgres://...)',
      );
    try {
      const target = parseDatabaseUrl(url);
      if (
        !create &&
        target.kind === 'sqlite' &&
        target.filename !== ':memory:' &&
        !existsSync(target.filename)
      )
        throw new UsageError(
          `no database at ${path.resolve(target.filename)} (a typo? "game-events migrate" creates one)`,
        );
      db = await createDatabase(url);
    } catch (err) {
      if (err instanceof InvalidDatabaseConfigError) throw new UsageError(err.message);
      throw err;
    }
    store = createSqlEventStore({ db });
    return { db, store };
  };

  const program = new Command('game-events')
    .description('Inspect, verify, replay, export/import and compact @game/event-store streams.')
    .addOption(new Option('--db <url>', 'database URL (default: $DATABASE_URL)'))
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const globals = () => program.opts<{ db?: string }>();

  program
    .command('migrate')
    .description('create or update the event store tables')
    .action(async () => {
      const { db } = await open(globals(), true);
      const r = await migrate(db, [eventStoreMigrations]);
      io.stdout(
        r.applied.length === 0
          ? 'up to date\n'
          : r.applied.map((m: { set: string; name: string }) => `applied ${m.set}/${m.name}\n`).join(''),
      );
    });

  program
    .command('streams')
    .description('list streams: id, version, live flag')
    .option('--prefix <prefix>', 'only streams whose id starts with this')
    .option('--limit <n>', 'at most this many', positiveInt('--limit'))
    .option('--json', 'one JSON object per line')
    .action(async (o: { prefix?: string; limit?: number; json?: boolean }) => {
      const { store } = await open(globals());
      let after: string | undefined;
      let left = o.limit ?? Number.MAX_SAFE_INTEGER;
      while (left > 0) {
        const page = await store.listStreams({
          ...(after !== undefined ? { after } : {}),
          ...(o.prefix ? { prefix: o.prefix } : {}),
          limit: Math.min(1000, left),
        });
        for (const s of page)
          io.stdout(
            o.json ? `${JSON.stringify(s)}\n` : `${s.streamId}\t${s.version}\t${s.live ? 'live' : ''}\n`,
          );
        left -= page.length;
        if (page.length < 1000) break;
        after = page[page.length - 1]!.streamId;
      }
    });

  program
    .command('read <stream>')
    .description('print a stream as NDJSON (optionally as of a version or time)')
    .option('--from <version>', 'first version', positiveInt('--from'))
    .option('--until <version|time>', 'last version, or an ISO time')
    .action(async (streamId: string, o: { from?: number; until?: string }) => {
      const until = o.until !== undefined ? parseUntil(o.until) : {};
      const { store } = await open(globals());
      let n = 0;
      for await (const e of streamEvents(store, streamId, {
        ...(o.from !== undefined ? { fromVersion: o.from } : {}),
        ...until,
      })) {
        io.stdout(`${JSON.stringify(toExported(e))}\n`);
        n++;
      }
      if (n === 0)
        io.stderr(`stream "${streamId}" has no events${o.until || o.from ? ' in that range' : ''}\n`);
    });

  program
    .command('replay <stream>')
    .description('fold a stream with a reducer module and print the state as JSON')
    .requiredOption(
      '--reducer <module>',
      'module exporting initialState and evolve(state, event) (optionally decode(recorded))',
    )
    .option('--until <version|time>', 'fold up to this version or ISO time')
    .action(async (streamId: string, o: { reducer: string; until?: string }) => {
      const until = o.until !== undefined ? parseUntil(o.until) : {};
      const reducer = await loadReducer(o.reducer, io.cwd);
      const { store } = await open(globals());
      let state = reducer.initialState;
      let version = 0;
      for await (const e of streamEvents(store, streamId, until)) {
        state = reducer.evolve(state, reducer.decode ? reducer.decode(e) : e.data);
        version = e.version;
      }
      io.stderr(`replayed ${streamId} up to version ${version}\n`);
      io.stdout(`${JSON.stringify(state, null, 2)}\n`);
    });

  program
    .command('verify')
    .description('check every stream for version gaps, duplicates and unreadable payloads (exit 1 on any)')
    .action(async () => {
      const { db } = await open(globals());
      const problems = await verify(db, io);
      for (const p of problems) io.stdout(`${p.kind}\t${p.streamId}\t${p.detail}\n`);
      if (problems.length > 0) code = exitCodes.failed;
      else io.stdout('ok\n');
    });

  program
    .command('export')
    .description('write events as NDJSON in global order (lossless: ids, versions, times, metadata)')
    .option('--out <file>', 'output file (default: stdout)')
    .option('--stream <id>', 'only this stream')
    .action(async (o: { out?: string; stream?: string }) => {
      const { store } = await open(globals());
      const file = o.out ? await createNewFile(path.resolve(io.cwd, o.out)) : null;
      let n = 0;
      const source = o.stream ? streamEvents(store, o.stream, {}) : allEvents(store);
      for await (const e of source) {
        const line = `${JSON.stringify(toExported(e))}\n`;
        if (file) await writeTo(file, line);
        else io.stdout(line);
        if (++n % 10_000 === 0) io.stderr(`export: ${n} events\n`);
      }
      if (file) await endStream(file);
      io.stderr(`export: ${n} events written\n`);
    });

  program
    .command('import <file>')
    .description('write the events of an NDJSON export (one transaction; refuses conflicts)')
    .action(async (file: string) => {
      const { db, store } = await open(globals());
      const events: ExportedEvent[] = [];
      const lines = createInterface({
        input: createReadStream(path.resolve(io.cwd, file)),
        crlfDelay: Infinity,
      });
      let lineNo = 0;
      for await (const line of lines) {
        lineNo++;
        if (line.trim() === '') continue;
        let event: unknown;
        try {
          event = JSON.parse(line);
        } catch (err) {
          throw new UsageError(`${file}:${lineNo}: not JSON (${(err as Error).message})`);
        }
        if (event === null || typeof event !== 'object' || Array.isArray(event))
          throw new UsageError(`${file}:${lineNo}: not an event object (got ${JSON.stringify(event)})`);
        events.push(event as ExportedEvent);
      }
      let n = 0;
      await transaction(db, async () => {
        for (let i = 0; i < events.length; i += 1000) {
          n += await store.importEvents(events.slice(i, i + 1000));
          if (events.length > 10_000) io.stderr(`import: ${n}/${events.length} events\n`);
        }
      });
      io.stderr(`import: ${n} events written\n`);
    });

  program
    .command('compact <stream>')
    .description("archive a stream's history up to a version to NDJSON and fold it into one event")
    .requiredOption('--reducer <module>', 'module whose evolve/initialState fold the removed events')
    .requiredOption('--archive <file>', 'NDJSON file receiving the removed events (must not exist)')
    .option('--up-to <version>', 'last version to fold (default: the whole stream)', positiveInt('--up-to'))
    .action(async (streamId: string, o: { reducer: string; archive: string; upTo?: number }) => {
      const reducer = await loadReducer(o.reducer, io.cwd);
      const { store } = await open(globals());
      const result = await store.compact(streamId, {
        ...(o.upTo !== undefined ? { upToVersion: o.upTo } : {}),
        fold: (events) =>
          events.reduce(
            (s, e) => reducer.evolve(s, reducer.decode ? reducer.decode(e) : e.data),
            reducer.initialState,
          ),
        archive: async (events) => {
          const out = await createNewFile(path.resolve(io.cwd, o.archive));
          for (const e of events) await writeTo(out, `${JSON.stringify(toExported(e))}\n`);
          await endStream(out);
        },
      });
      io.stdout(
        result.removed === 0
          ? `nothing to compact in ${streamId}\n`
          : `compacted ${streamId}: ${result.removed} events removed, state at version ${result.compactedVersion}\n`,
      );
    });

  const dlq = program.command('dlq').description('dead letters of subscriptions');
  dlq
    .command('list')
    .option('--subscription <name>', 'only this subscription')
    .option('--json', 'one JSON object per line')
    .action(async (o: { subscription?: string; json?: boolean }) => {
      const { store } = await open(globals());
      const letters = await store.listDeadLetters(
        o.subscription !== undefined ? { subscription: o.subscription } : {},
      );
      for (const d of letters) {
        io.stdout(
          o.json
            ? `${JSON.stringify(d)}\n`
            : `${d.id}\t${d.subscription}\t${d.streamId}@${d.version}\t${d.eventType}\t${d.status}\t${d.attempts}\t${d.error.split('\n')[0]}\n`,
        );
      }
      if (letters.length === 0) io.stderr('no dead letters\n');
    });
  dlq
    .command('retry')
    .description('mark dead letters for redelivery by their running subscription')
    .option('--subscription <name>', 'only this subscription')
    .option('--id <id...>', 'only these ids')
    .action(async (o: { subscription?: string; id?: string[] }) => {
      const ids = o.id?.map((s) => positiveInt('--id')(s));
      const { store } = await open(globals());
      const n = await store.retryDeadLetters({
        ...(o.subscription !== undefined ? { subscription: o.subscription } : {}),
        ...(ids ? { ids } : {}),
      });
      io.stdout(`${n} dead letter(s) marked for retry\n`);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      code = err.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    } else if (err instanceof UsageError || err instanceof InvalidArgumentError) {
      io.stderr(`error: ${err.message}\n`);
      code = exitCodes.usage;
    } else if (err instanceof EventStoreError) {
      io.stderr(`error: ${err.message} (${err.code})\n`);
      code = exitCodes.failed;
    } else {
      io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      code = exitCodes.failed;
    }
  } finally {
    await (store as EventStore | null)?.close();
    await (db as Database | null)?.close();
  }
  return code;
}
