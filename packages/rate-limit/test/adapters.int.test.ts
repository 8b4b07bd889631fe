import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

it('runs the conformance suite against every exported store and nothing else', async () => {
  const pkg = JSON.parse(await readFile(`${root}package.json`, 'utf8')) as {
    exports: Record<string, unknown>;
  };
  const exported = Object.keys(pkg.exports)
    .filter((k) => k !== '.' && k !== './testing')
    .map((k) => k.slice(2))
    .sort();
  const tested = (await readdir(`${root}test`))
    .map((f) => /^(.+)\.conformance(\.int)?\.test\.ts$/.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort();
  expect(exported).toEqual(['memory', 'redis']);
  expect(tested).toEqual(exported);
});
