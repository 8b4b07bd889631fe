/** A check's or a probe's status, as in the health+json draft. */
export type CheckStatus = 'pass' | 'warn' | 'fail';

/** What a check function may return; returning nothing means `pass`. Throwing means `fail`. */
export interface CheckOutcome {
  status?: CheckStatus;
  /** Human-readable detail (an error message, a reason for `warn`). */
  output?: string;
  observedValue?: number | string | boolean;
  observedUnit?: string;
}

/** A check: gets an AbortSignal that fires on timeout. */
export type CheckFn = (signal: AbortSignal) => CheckOutcome | void | Promise<CheckOutcome | void>;

/** One dependency or process check registered in a {@link HealthRegistry}. */
export interface CheckDefinition {
  /** Unique name, used as the key in the health+json `checks` object and as the metric label. */
  name: string;
  /** A failing critical check fails readiness; a failing non-critical one is reported as `warn` (default true). */
  critical?: boolean;
  /** A check that has not settled after this many ms fails (default 2000). */
  timeoutMs?: number;
  /** A result younger than this many ms is reused instead of running the check again (default 1000). */
  cacheMs?: number;
  /** health+json `componentType`, e.g. `'datastore'`, `'system'`, `'component'`. */
  componentType?: string;
  check: CheckFn;
}

/** One past run of a check. */
export interface CheckHistoryEntry {
  readonly status: CheckStatus;
  /** ISO 8601 time the run finished. */
  readonly time: string;
  readonly durationMs: number;
  readonly output?: string;
}

/** The latest result of a check. */
export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly critical: boolean;
  readonly componentType?: string;
  readonly durationMs: number;
  readonly output?: string;
  readonly observedValue?: number | string | boolean;
  readonly observedUnit?: string;
  /** ISO 8601 time this run finished. */
  readonly time: string;
  /** ISO 8601 time the status last changed (the first run counts as a change). */
  readonly lastChange: string;
  /** The latest runs, newest last, at most `historySize`. */
  readonly history: readonly CheckHistoryEntry[];
}

/** One entry of a health+json `checks` array. */
export interface HealthJsonCheck {
  status: CheckStatus;
  componentType?: string;
  observedValue?: number | string | boolean;
  observedUnit?: string;
  output?: string;
  time: string;
  critical: boolean;
  durationMs: number;
  lastChange: string;
  history?: readonly CheckHistoryEntry[];
}

/** A health+json body (draft-inadarei-api-health-check). */
export interface HealthJson {
  status: CheckStatus;
  serviceId?: string;
  version?: string;
  releaseId?: string;
  description?: string;
  output?: string;
  notes?: string[];
  checks?: Record<string, HealthJsonCheck[]>;
}

/** A probe's answer: the HTTP status to send and the health+json body. */
export interface ProbeReport {
  readonly httpStatus: 200 | 503;
  readonly body: HealthJson;
}
