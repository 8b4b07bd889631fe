export type {
  CheckDefinition,
  CheckFn,
  CheckHistoryEntry,
  CheckOutcome,
  CheckResult,
  CheckStatus,
  HealthJson,
  HealthJsonCheck,
  ProbeReport,
} from './types.js';
export type { HealthRegistry, HealthRegistryOptions, RunOptions } from './registry.js';
export { createHealthRegistry } from './registry.js';
export type { HealthHttpHandler, HealthHttpOptions, HealthHttpResponse } from './http.js';
export { createHealthHttpHandler, HEALTH_CONTENT_TYPE, statusText } from './http.js';
export type { HealthServer, HealthServerOptions, NodeHealthListener, NodeHealthOptions } from './node.js';
export { createNodeHealthListener, startHealthServer } from './node.js';
export type { UwsAppLike, UwsHealthOptions, UwsRequestLike, UwsResponseLike } from './uws.js';
export { registerUwsHealthRoutes } from './uws.js';
export type { BuiltinCheckOptions } from './checks/common.js';
export type {
  BreakerState,
  CircuitBreakerCheckOptions,
  RedisPingable,
  RedisPingCheckOptions,
  SqlPingCheckOptions,
  SubscriptionLagCheckOptions,
} from './checks/dependencies.js';
export { circuitBreakerCheck, redisPingCheck, sqlPingCheck, subscriptionLagCheck } from './checks/dependencies.js';
export type { EventLoopDelayCheckOptions, HeapCheckOptions, SamplingCheck } from './checks/process.js';
export { eventLoopDelayCheck, heapCheck } from './checks/process.js';
export type {
  Beacon,
  Drainable,
  HookOptions,
  HookPhase,
  ShutdownController,
  ShutdownHook,
  ShutdownOptions,
  ShutdownOutcome,
  ShutdownState,
  SignalSource,
} from './shutdown.js';
export { createShutdownController } from './shutdown.js';
export { CheckTimeoutError, HealthConfigError } from './errors.js';
