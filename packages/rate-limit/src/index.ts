export { createRateLimiter } from './limiter.js';
export type { RateLimiter, RateLimiterOptions, PolicySelector } from './limiter.js';
export type { ConfigWatcher, WatchConfigOptions } from './config-watcher.js';
export { loadRateLimitConfigFile, parseRateLimitConfig, parseRateLimitConfigText } from './config.js';
export {
  createProtocolDefaultPolicies,
  protocolDefaultConfig,
  protocolDefaultPolicies,
} from './protocol-defaults.js';
export type { ProtocolDefaultsOptions } from './protocol-defaults.js';
export {
  rateLimitErrorFrame,
  rateLimitCloseReason,
  rateLimitHeaders,
  rateLimitHttpBody,
} from './responses.js';
export type { RateLimitErrorFrame, RateLimitHeadersOptions } from './responses.js';
export {
  RateLimitError,
  RateLimitConfigError,
  RateLimitStoreUnavailableError,
  RateLimitStoreTimeoutError,
  RateLimitUnknownPolicyError,
} from './errors.js';
export { createMemoryStore } from './memory/index.js';
export { createManualClock } from './testing/manual-clock.js';
export type { ManualClock } from './testing/manual-clock.js';
export type { MemoryStore, MemoryStoreOptions } from './memory/index.js';
export type {
  BucketOperation,
  BucketOutcome,
  BucketSpec,
  RateLimitStore,
  StoreCapabilities,
} from './store.js';
export type {
  BlockRule,
  Clock,
  KeyField,
  KeyFunction,
  KeySpec,
  PolicyDefinition,
  PolicyOutcome,
  RateLimitConfig,
  RateLimitInput,
  RateLimitResult,
  RateLimitStatus,
  RefillRate,
  StoreFailurePolicy,
} from './types.js';
