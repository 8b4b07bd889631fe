export { describeRateLimitStoreConformance } from './conformance.js';
export type { RateLimitStoreHarness } from './conformance.js';
export { createManualClock } from './manual-clock.js';
export type { ManualClock } from './manual-clock.js';
