/** Base class of every error this package throws or reports; `code` is stable and safe to branch on. */
export class RateLimitError extends Error {
  /** A stable machine-readable code. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Policies (from code or a config file) are invalid; nothing was applied and the previous limits stay. */
export class RateLimitConfigError extends RateLimitError {
  /** Where the configuration came from: a file path, or `code`. */
  readonly source: string;
  /** One line per problem, each naming the offending field (`policies[2].capacity: ...`). */
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[], options?: { cause?: unknown }) {
    super(
      'RATE_LIMIT_CONFIG_INVALID',
      `Invalid rate-limit configuration (${source}): ${issues.join('; ')}`,
      options,
    );
    this.source = source;
    this.issues = issues;
  }
}

/**
 * The limiter's store failed and the limiter runs with `onStoreFailure: 'failClosed'`: the request is
 * refused because nobody can tell whether it is within its limits (not because a limit was reached).
 */
export class RateLimitStoreUnavailableError extends RateLimitError {
  /** The store's name (`redis`, ...). */
  readonly store: string;
  constructor(store: string, cause?: unknown) {
    super(
      'RATE_LIMIT_STORE_UNAVAILABLE',
      `Rate-limit store "${store}" is unavailable and the limiter fails closed: ${describe(cause)}`,
      { cause },
    );
    this.store = store;
  }
}

/** An adjustment (`penalize`, `reward`, `block`, ...) named a policy that is not in force. */
export class RateLimitUnknownPolicyError extends RateLimitError {
  /** The name given. */
  readonly policy: string;
  /** The policies in force. */
  readonly known: readonly string[];
  constructor(policy: string, known: readonly string[]) {
    super(
      'RATE_LIMIT_UNKNOWN_POLICY',
      `No rate-limit policy "${policy}" (policies in force: ${known.join(', ') || 'none'})`,
    );
    this.policy = policy;
    this.known = known;
  }
}

/** A store call took longer than `storeTimeoutMs`; treated like any other store failure. */
export class RateLimitStoreTimeoutError extends RateLimitError {
  /** The store's name. */
  readonly store: string;
  /** The timeout that elapsed. */
  readonly timeoutMs: number;
  constructor(store: string, timeoutMs: number) {
    super('RATE_LIMIT_STORE_TIMEOUT', `Rate-limit store "${store}" did not answer within ${timeoutMs} ms`);
    this.store = store;
    this.timeoutMs = timeoutMs;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
