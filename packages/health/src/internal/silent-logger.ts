import type { Logger } from '@game/observability';

const noop = (): void => undefined;

// A local no-op so that @game/health loads nothing from @game/observability at run time.
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger };
