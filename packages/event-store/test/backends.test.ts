import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eventStoreBackends } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('backends', () => {
  it('the set of backends running the conformance suite equals the set exported', () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as {
      exports: Record<string, unknown>;
    };
    const exported = Object.keys(pkg.exports)
      .filter((k) => k !== '.' && k !== './testing')
      .map((k) => k.slice(2))
      .sort();
    expect(exported).toEqual([...eventStoreBackends].sort());
    const tested = new Set<string>();
    for (const f of readdirSync(`${root}/test`).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(`${root}/test/${f}`, 'utf8');
      for (const m of text.matchAll(/describeEventStoreConformance\(\s*'([a-z]+)'/g)) tested.add(m[1]!);
    }
    expect([...tested].sort()).toEqual(exported);
  });
});
