export { createRedisStore } from './redis-store.js';
export type { RedisStore, RedisStoreOptions, RedisTimeSource } from './redis-store.js';
export { TOKEN_BUCKET_SCRIPT } from './token-bucket-script.js';
