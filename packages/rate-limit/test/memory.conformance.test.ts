import { createMemoryStore } from '../src/memory/index.js';
import { describeRateLimitStoreConformance } from '../src/testing/index.js';

describeRateLimitStoreConformance('memory', () => ({ store: createMemoryStore(), close: () => undefined }));
