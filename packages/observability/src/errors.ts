/** A bad option given to an @game/observability factory; `option` names it. */
export class ObservabilityConfigError extends Error {
  /** Stable code for programmatic handling. */
  readonly code = 'OBSERVABILITY_CONFIG' as const;
  /** The option that was rejected. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.name = 'ObservabilityConfigError';
    this.option = option;
  }
}
