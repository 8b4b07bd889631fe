/** A bad option or registration given to @game/health; `option` names what was rejected. */
export class HealthConfigError extends Error {
  /** Stable code for programmatic handling. */
  readonly code = 'HEALTH_CONFIG' as const;
  /** The option (or check name) that was rejected. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.name = 'HealthConfigError';
    this.option = option;
  }
}

/** A check that did not answer within its timeout (reported as the check's output). */
export class CheckTimeoutError extends Error {
  /** Stable code for programmatic handling. */
  readonly code = 'HEALTH_CHECK_TIMEOUT' as const;
  readonly check: string;
  readonly timeoutMs: number;

  constructor(check: string, timeoutMs: number) {
    super(`check ${check} timed out after ${timeoutMs} ms`);
    this.name = 'CheckTimeoutError';
    this.check = check;
    this.timeoutMs = timeoutMs;
  }
}
