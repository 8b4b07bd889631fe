export { createSqliteDatabase, isSqliteRetryable } from './open.js';
export { CachedSqliteDriver } from './driver.js';
export { sqliteCapabilities } from '../capabilities.js';
