export type { Logger, LogFn } from './logger-types.js';
export { silentLogger } from './logger-types.js';
