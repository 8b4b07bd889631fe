import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger, MetricsOption } from '@game/observability';
import type { Registry } from 'prom-client';
import { CheckTimeoutError, HealthConfigError } from './errors.js';
import { createHealthMetrics, metricsTarget, type HealthMetrics } from './internal/metrics.js';
import { silentLogger } from './internal/silent-logger.js';
import { MAX_TIMER_MS, nonNegative } from './internal/options.js';
import type {
  CheckDefinition,
  CheckHistoryEntry,
  CheckOutcome,
  CheckResult,
  CheckStatus,
  HealthJson,
  HealthJsonCheck,
  ProbeReport,
} from './types.js';

/** Options of {@link createHealthRegistry}. */
export interface HealthRegistryOptions {
  /** Checks to register at once (more can be added with `register`). */
  checks?: readonly CheckDefinition[];
  logger?: Logger;
  /**
   * A prom-client registry, or `{ registry, prefix }` (the prefix goes in front of every name, e.g. `'game_'`):
   * adds `health_check_status`, `health_check_duration_seconds`, `health_ready`, `health_draining`. The same
   * option as in @game/persistence and @game/rate-limit.
   */
  metrics?: MetricsOption | undefined;
  /** @deprecated Use `metrics` (`metrics: registry`). Not together with `metrics`. */
  registry?: Registry | undefined;
  /** @deprecated Use `metrics: { registry, prefix }`. */
  metricsPrefix?: string | undefined;
  /** Runs kept per check (default 10). */
  historySize?: number;
  /** health+json `serviceId`, `version`, `releaseId`, `description` (undefined = left out, e.g. an unset env var). */
  serviceId?: string | undefined;
  version?: string | undefined;
  releaseId?: string | undefined;
  description?: string | undefined;
  /** Start as already started (the startup probe passes at once); default false: call `markStarted()`. */
  started?: boolean;
  /** Wall clock in ms since the epoch (default `Date.now`); also times checks when given. */
  now?: () => number;
}

/** Options of one run of the checks. */
export interface RunOptions {
  /** Ignore cached results and run every check now. */
  force?: boolean;
}

/**
 * The checks of one service and the probes built on them: liveness (the process only), readiness
 * (started, not draining, every critical check passing) and startup.
 */
export interface HealthRegistry {
  /** Adds a check; returns a function that removes it. Throws {@link HealthConfigError} on a bad or duplicate one. */
  register(check: CheckDefinition): () => void;
  /** Names of the registered checks, in registration order. */
  readonly checkNames: readonly string[];
  /** Runs every check (cached results younger than `cacheMs` are reused; concurrent runs share one call). */
  runChecks(options?: RunOptions): Promise<readonly CheckResult[]>;
  /** The latest result of each check that has run, without running anything. */
  lastResults(): readonly CheckResult[];
  /** Liveness: 200 while the process can answer; never looks at dependencies or draining. */
  liveness(): ProbeReport;
  /** Readiness: 503 before `markStarted`, once draining, or when a critical check fails. */
  readiness(): Promise<ProbeReport>;
  /** Startup: 503 until `markStarted()`, then 200 for good. */
  startup(): ProbeReport;
  /** Everything: every check with its history; 503 when readiness would fail. */
  details(): Promise<ProbeReport>;
  /** Records that start-up work (migrations, room recovery) is done. */
  markStarted(): void;
  readonly started: boolean;
  /** Fails readiness from now on (shutdown has begun); liveness is unaffected. */
  setDraining(reason?: string): void;
  readonly draining: boolean;
}

interface CheckState {
  readonly def: Required<Pick<CheckDefinition, 'name' | 'critical' | 'timeoutMs' | 'cacheMs' | 'check'>> &
    Pick<CheckDefinition, 'componentType'>;
  result: CheckResult | undefined;
  /** Monotonic time of the latest finished run. */
  finishedAt: number;
  inFlight: Promise<CheckResult> | undefined;
  /** Monotonic start of a run that timed out and has not settled yet (a check that ignores its signal). */
  stragglerSince: number | undefined;
  history: CheckHistoryEntry[];
}

const NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

/** Set while a check runs (in its async flow): a scrape from inside a check does not wait for readiness. */
const insideCheck = new AsyncLocalStorage<boolean>();


/**
 * Creates a health registry.
 * @example
 * const health = createHealthRegistry({ logger, metrics: registry, checks: [sqlPingCheck({ ping: () => pool.query('select 1') })] });
 * health.markStarted();
 */
export function createHealthRegistry(options: HealthRegistryOptions = {}): HealthRegistry {
  const logger = options.logger ?? silentLogger;
  const historySize = nonNegative('historySize', options.historySize, 10);
  if (!Number.isInteger(historySize) || historySize < 1) {
    throw new HealthConfigError('historySize', `must be an integer >= 1, got ${String(historySize)}`);
  }
  const wall = options.now ?? Date.now;
  const mono = options.now ?? (() => performance.now());
  if (options.metrics !== undefined && (options.registry !== undefined || options.metricsPrefix !== undefined)) {
    throw new HealthConfigError('metrics', 'give either `metrics` or the deprecated `registry`/`metricsPrefix`, not both');
  }
  const target = options.metrics !== undefined ? metricsTarget(options.metrics) : options.registry ? { registry: options.registry, prefix: options.metricsPrefix ?? '' } : undefined;
  // A scrape evaluates readiness (one at a time; checks' caches apply), so the gauges are current even
  // where nothing requests the readiness probe (a plain `docker run` only probes liveness).
  let refreshing: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    // A check that reads the registry itself (scrapes it) must not wait for the evaluation it is part of.
    if (insideCheck.getStore() === true) return Promise.resolve();
    const done = (): void => {
      refreshing = undefined;
    };
    refreshing ??= readinessReport(false).then(done, done);
    return refreshing;
  };
  const metrics: HealthMetrics | undefined = target ? createHealthMetrics(target.registry, target.prefix, refresh) : undefined;
  const checks = new Map<string, CheckState>();
  const startedAt = wall();
  let started = options.started ?? false;
  let draining = false;
  let drainReason: string | undefined;

  const register = (def: CheckDefinition): (() => void) => {
    if (typeof def.name !== 'string' || !NAME.test(def.name)) {
      throw new HealthConfigError('name', `check names are 1-100 of [A-Za-z0-9_.:-], got ${JSON.stringify(def.name)}`);
    }
    if (checks.has(def.name)) throw new HealthConfigError(def.name, 'a check with this name is already registered');
    if (typeof def.check !== 'function') throw new HealthConfigError(`${def.name}.check`, 'must be a function');
    const timeoutMs = nonNegative(`${def.name}.timeoutMs`, def.timeoutMs, 2000, MAX_TIMER_MS);
    if (timeoutMs === 0) throw new HealthConfigError(`${def.name}.timeoutMs`, 'must be > 0');
    const state: CheckState = {
      def: {
        name: def.name,
        critical: def.critical ?? true,
        timeoutMs,
        cacheMs: nonNegative(`${def.name}.cacheMs`, def.cacheMs, 1000),
        check: def.check,
        ...(def.componentType === undefined ? {} : { componentType: def.componentType }),
      },
      result: undefined,
      finishedAt: 0,
      inFlight: undefined,
      stragglerSince: undefined,
      history: [],
    };
    checks.set(def.name, state);
    return () => {
      if (checks.get(def.name) === state) checks.delete(def.name);
    };
  };

  const runOne = (state: CheckState): Promise<CheckResult> => {
    const { def } = state;
    const start = mono();
    if (state.stragglerSince !== undefined) {
      // The last run timed out and is still going (its check ignores the abort signal): starting another
      // would pile up hung calls (a pool query per probe). Fail without calling it until that one settles.
      const output = `check ${def.name} timed out after ${def.timeoutMs} ms and has not finished since (${round(start - state.stragglerSince)} ms): not run again until it does`;
      return Promise.resolve(settle(state, { status: 'fail', output }, 0));
    }
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new CheckTimeoutError(def.name, def.timeoutMs);
        controller.abort(err);
        reject(err);
      }, def.timeoutMs);
    });
    let settled = false;
    const attempt = Promise.resolve().then(() => insideCheck.run(true, () => def.check(controller.signal)));
    const done = (): void => {
      settled = true;
      if (state.stragglerSince === start) state.stragglerSince = undefined;
    };
    attempt.then(done, done); // also settles a late rejection after a timeout, which is already reported
    return Promise.race([attempt, timeout])
      .then(
        (outcome): CheckOutcome => outcome ?? {},
        (err: unknown): CheckOutcome => ({ status: 'fail', output: err instanceof Error ? err.message : String(err) }),
      )
      .then((outcome) => {
        clearTimeout(timer);
        if (!settled) state.stragglerSince = start;
        return settle(state, outcome, mono() - start);
      });
  };

  const settle = (state: CheckState, outcome: CheckOutcome, durationMs: number): CheckResult => {
    const { def } = state;
    let status: CheckStatus = outcome.status ?? 'pass';
    if (status !== 'pass' && status !== 'warn' && status !== 'fail') {
      status = 'fail';
      outcome = { output: `check returned an unknown status ${JSON.stringify(outcome.status)}` };
    }
    // A non-critical dependency never fails the service: its failure is a warning.
    if (status === 'fail' && !def.critical) status = 'warn';
    const time = new Date(wall()).toISOString();
    const previous = state.result;
    const lastChange = previous && previous.status === status ? previous.lastChange : time;
    const entry: CheckHistoryEntry = {
      status,
      time,
      durationMs: round(durationMs),
      ...(outcome.output === undefined ? {} : { output: outcome.output }),
    };
    state.history.push(entry);
    if (state.history.length > historySize) state.history.splice(0, state.history.length - historySize);
    const result: CheckResult = {
      name: def.name,
      status,
      critical: def.critical,
      ...(def.componentType === undefined ? {} : { componentType: def.componentType }),
      durationMs: entry.durationMs,
      ...(outcome.output === undefined ? {} : { output: outcome.output }),
      ...(outcome.observedValue === undefined ? {} : { observedValue: outcome.observedValue }),
      ...(outcome.observedUnit === undefined ? {} : { observedUnit: outcome.observedUnit }),
      time,
      lastChange,
      history: [...state.history],
    };
    state.result = result;
    state.finishedAt = mono();
    metrics?.record(def.name, status, durationMs);
    if (!previous || previous.status !== status) {
      const fields = { check: def.name, status, previous: previous?.status ?? null, critical: def.critical, output: outcome.output };
      if (status === 'pass') logger.info(fields, 'health check passes');
      else if (status === 'warn') logger.warn(fields, 'health check warns');
      else logger.error(fields, 'health check fails');
    }
    return result;
  };

  const get = (state: CheckState, force: boolean): Promise<CheckResult> => {
    if (state.inFlight) return state.inFlight;
    if (!force && state.result && mono() - state.finishedAt < state.def.cacheMs) return Promise.resolve(state.result);
    const p = runOne(state).finally(() => {
      if (state.inFlight === p) state.inFlight = undefined;
    });
    state.inFlight = p;
    return p;
  };

  const runChecks = (opts: RunOptions = {}): Promise<readonly CheckResult[]> =>
    Promise.all([...checks.values()].map((s) => get(s, opts.force ?? false)));

  const meta = (): HealthJson => ({
    status: 'pass',
    ...(options.serviceId === undefined ? {} : { serviceId: options.serviceId }),
    ...(options.version === undefined ? {} : { version: options.version }),
    ...(options.releaseId === undefined ? {} : { releaseId: options.releaseId }),
    ...(options.description === undefined ? {} : { description: options.description }),
  });

  const toJson = (r: CheckResult, withHistory: boolean): HealthJsonCheck => ({
    status: r.status,
    ...(r.componentType === undefined ? {} : { componentType: r.componentType }),
    ...(r.observedValue === undefined ? {} : { observedValue: r.observedValue }),
    ...(r.observedUnit === undefined ? {} : { observedUnit: r.observedUnit }),
    ...(r.output === undefined ? {} : { output: r.output }),
    time: r.time,
    critical: r.critical,
    durationMs: r.durationMs,
    lastChange: r.lastChange,
    ...(withHistory ? { history: r.history } : {}),
  });

  const readinessReport = async (withHistory: boolean): Promise<ProbeReport> => {
    // Once draining, answer at once from the last results: a load balancer must see 503 now,
    // not after a slow dependency's timeout, and closing pools must not be probed.
    const results = draining ? [...checks.values()].flatMap((s) => (s.result ? [s.result] : [])) : await runChecks();
    const body = meta();
    const notes: string[] = [];
    let status: CheckStatus = 'pass';
    for (const r of results) {
      if (r.status === 'fail') status = 'fail';
      else if (r.status === 'warn' && status === 'pass') status = 'warn';
    }
    if (status === 'fail') {
      notes.push(`failing: ${results.filter((r) => r.status === 'fail').map((r) => r.name).join(', ')}`);
    }
    if (!started) {
      status = 'fail';
      notes.push('starting');
    }
    if (draining) {
      status = 'fail';
      notes.push(drainReason === undefined ? 'draining' : `draining: ${drainReason}`);
    }
    body.status = status;
    if (notes.length > 0) body.output = notes.join('; ');
    const checksJson: Record<string, HealthJsonCheck[]> = {};
    for (const r of results) checksJson[r.name] = [toJson(r, withHistory)];
    body.checks = checksJson;
    const ready = status !== 'fail';
    metrics?.setReady(ready, draining);
    return { httpStatus: ready ? 200 : 503, body };
  };

  metrics?.setReady(false, false);
  for (const def of options.checks ?? []) register(def);

  return {
    register,
    get checkNames() {
      return [...checks.keys()];
    },
    runChecks,
    lastResults: () => [...checks.values()].flatMap((s) => (s.result ? [s.result] : [])),
    liveness() {
      const body = meta();
      const now = wall();
      body.checks = {
        'uptime': [
          {
            status: 'pass',
            componentType: 'system',
            observedValue: Math.round((now - startedAt) / 1000),
            observedUnit: 's',
            time: new Date(now).toISOString(),
            critical: true,
            durationMs: 0,
            lastChange: new Date(startedAt).toISOString(),
          },
        ],
      };
      if (draining) body.output = 'draining';
      return { httpStatus: 200, body };
    },
    readiness: () => readinessReport(false),
    startup() {
      const body = meta();
      if (!started) {
        body.status = 'fail';
        body.output = 'starting';
      }
      return { httpStatus: started ? 200 : 503, body };
    },
    details: () => readinessReport(true),
    markStarted() {
      if (started) return;
      started = true;
      logger.info({ startupMs: Math.round(wall() - startedAt) }, 'service started');
    },
    get started() {
      return started;
    },
    setDraining(reason?: string) {
      if (draining) return;
      draining = true;
      drainReason = reason;
      metrics?.setReady(false, true);
      logger.info({ reason }, 'readiness now fails: draining');
    },
    get draining() {
      return draining;
    },
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
