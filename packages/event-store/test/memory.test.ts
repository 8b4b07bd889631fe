import { describeEventStoreConformance } from '../src/testing/index.js';
import { createMemoryEventStore } from '../src/memory/index.js';

describeEventStoreConformance('memory', (options) =>
  Promise.resolve({ store: createMemoryEventStore(options), close: () => Promise.resolve() }),
);
