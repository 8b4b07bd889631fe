/**
 * The server as a child process (`node dist/main.js serve`), for tests that kill it with SIGKILL and start
 * it again on the same database, and for the CLI (`verify`, `replay`).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const distMain = path.join(appDir, 'dist', 'main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const privateBuild = path.join(appDir, 'node_modules', '.cache', 'crash-dist');
let entry: string | undefined;

/**
 * The built CLI (`dist/main.js`) when it is at least as new as `src/`; otherwise `src/` is compiled with the
 * build's tsconfig into a private folder under node_modules/.cache (never touching `dist/`, which other
 * processes may be using), so the test always exercises the current code. Call once in `beforeAll`.
 */
export async function ensureServerEntry(): Promise<string> {
  if (entry !== undefined) return entry;
  const srcTime = newestMtime(path.join(appDir, 'src'));
  if (existsSync(distMain) && statSync(distMain).mtimeMs >= srcTime) return (entry = distMain);
  const privateMain = path.join(privateBuild, 'main.js');
  if (!existsSync(privateMain) || statSync(privateMain).mtimeMs < srcTime) {
    const tsc = path.join(appDir, 'node_modules', 'typescript', 'bin', 'tsc');
    const bin = existsSync(tsc) ? tsc : path.resolve(appDir, '../../node_modules/typescript/bin/tsc');
    try {
      await execFileP(process.execPath, [bin, '-p', 'tsconfig.build.json', '--outDir', privateBuild], { cwd: appDir, maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`could not compile apps/server/src for the child process:\n${e.stdout ?? ''}${e.stderr ?? String(err)}`);
    }
  }
  return (entry = privateMain);
}

/** The entry chosen by {@link ensureServerEntry}. */
export function serverEntry(): string {
  if (entry === undefined) throw new Error('call ensureServerEntry() in beforeAll first');
  return entry;
}

/** A running server child process. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly baseUrl: string;
  /** stdout + stderr so far (for failure messages). */
  output(): string;
  /** SIGKILL; resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown); resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Environment of the child: the test's settings on top of PATH/HOME only (nothing else leaks in). */
export function childEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', NODE_ENV: 'test', ...settings };
}

/**
 * Starts `serve` and resolves once it prints its "listening" line (it has rebuilt every live room by then).
 * Rejects with the output when the process exits first or does not listen within `timeoutMs`.
 */
export async function startServerProcess(settings: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  // A workspace package whose dist/ is being rebuilt by a concurrent build (a shared dev machine) is
  // missing for a moment: start again then, a few times. Any other failure is the test's.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(settings, timeoutMs);
    } catch (err) {
      const text = String(err);
      if (attempt >= 8 || !/ERR_MODULE_NOT_FOUND[\s\S]*\/packages\/|\/node_modules\/@game\/[^'"]+\/dist\//.test(text)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    }
  }
}

function startOnce(settings: Record<string, string>, timeoutMs: number): Promise<ServerProcess> {
  const entry = serverEntry();
  const child = spawn(process.execPath, [entry, 'serve'], { cwd: appDir, env: childEnv(settings), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not listen within ${timeoutMs} ms; output:\n${out.slice(-4000)}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (code ${code}) before listening; output:\n${out.slice(-4000)}`));
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const port = Number(m[1]);
      resolve({
        child,
        port,
        baseUrl: `http://127.0.0.1:${port}`,
        output: () => out,
        kill: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
  });
}

/** Runs a CLI command (`verify`, `replay ...`) against the same settings; never throws on a non-zero exit. */
export async function runCli(args: readonly string[], settings: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await execFileP(process.execPath, [serverEntry(), ...args], { cwd: appDir, env: childEnv(settings), maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}
