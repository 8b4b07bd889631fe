// The logger type and silent default come from @game/persistence, which this package builds on.
export { silentLogger, type Logger, type LogFn } from '@game/persistence';
