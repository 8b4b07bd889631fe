export { default } from '../../tooling/vitest/vitest.shared.js';
