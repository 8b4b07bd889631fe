export { createPostgresDatabase, isPostgresConnectionError, isPostgresRetryable } from './open.js';
export { postgresCapabilities } from '../capabilities.js';
