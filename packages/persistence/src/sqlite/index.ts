export { createSqliteDatabase, isSqliteRetryable } from './open.js';
export { CachedSqliteDriver } from './driver.js';
export type { CheckpointStats } from './checkpointer.js';
export { sqliteCapabilities } from '../capabilities.js';
