#!/usr/bin/env node
import { runCli } from './internal/cli/run.js';

const code = await runCli(process.argv.slice(2), {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
