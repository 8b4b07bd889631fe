import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { loadRateLimitConfigFile, protocolDefaultConfig } from '../src/index.js';

it('examples/protocol-defaults.yaml is valid and equal to protocolDefaultConfig', async () => {
  const file = fileURLToPath(new URL('../examples/protocol-defaults.yaml', import.meta.url));
  const config = await loadRateLimitConfigFile(file);
  expect(config).toEqual(JSON.parse(JSON.stringify(protocolDefaultConfig)));
});
