import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/shutdown-app.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

/** The fixture as a child process, its JSON log lines and its exit. */
function startApp(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: packageDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters: Array<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as LogLine; // every stdout line must be valid JSON
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.pred(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (msg: string) =>
    new Promise<LogLine>((resolve, reject) => {
      const seen = lines.find((l) => l.msg === msg);
      if (seen) return resolve(seen);
      waiters.push({ pred: (l) => l.msg === msg, resolve });
      void exited.then((code) => reject(new Error(`exited (${code}) before "${msg}"; stderr: ${stderr}`)));
    });
  return { child, lines, exited, waitFor };
}

let running: ChildProcess | undefined;
afterEach(() => {
  if (running && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
  running = undefined;
});

async function get(port: number, path: string, method = 'GET'): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { connection: 'close' } });
  await res.arrayBuffer();
  return res.status;
}

describe('shutdown sequence in a child process', () => {
  it('SIGTERM: readiness 503 at once, liveness 200, the beacon holds the exit until released, exit 0', async () => {
    const app = startApp({ DRAIN_DELAY_MS: '1500', BUDGET_MS: '30000' });
    running = app.child;
    const port = (await app.waitFor('listening'))['port'] as number;
    expect(await get(port, '/health/ready')).toBe(200);

    app.child.kill('SIGTERM');
    await app.waitFor('shutdown started');
    expect(await get(port, '/health/ready')).toBe(503);
    const answeredAt = Date.now();
    expect(await get(port, '/health/live')).toBe(200);

    const waiting = await app.waitFor('waiting for in-flight work');
    expect(waiting['inFlight']).toEqual(['game-in-progress']);
    // Readiness was already 503 during the drain delay, before the first drain hook ran.
    const hookAt = Date.parse(app.lines.find((l) => l.msg === 'no new games')!['time'] as string);
    expect(answeredAt).toBeLessThan(hookAt);
    // Drain delay and drain hooks are done; only the beacon keeps the process alive now.
    expect(app.child.exitCode).toBeNull();
    expect(await get(port, '/health/live')).toBe(200);
    expect(await get(port, '/health/ready')).toBe(503);
    expect(app.lines.some((l) => l.msg === 'shutdown complete')).toBe(false);

    expect(await get(port, '/release', 'POST')).toBe(200);
    expect(await app.exited).toBe(0);
    const msgs = app.lines.map((l) => l.msg);
    const order = ['shutdown started', 'no new games', 'waiting for in-flight work', 'shutdown complete'].map((m) =>
      msgs.indexOf(m),
    );
    expect(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!))).toBe(true);
    const started = app.lines.find((l) => l.msg === 'shutdown started')!;
    expect(started).toMatchObject({ level: 'info', component: 'shutdown', reason: 'SIGTERM', drainDelayMs: 1500 });
  });

  it('SIGTERM with a beacon never released: the budget forces exit 1 and logs what was pending', async () => {
    const app = startApp({ DRAIN_DELAY_MS: '100', BUDGET_MS: '1500' });
    running = app.child;
    await app.waitFor('listening');
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(1);
    const forced = app.lines.find((l) => l.msg === 'shutdown budget exceeded: forcing exit');
    expect(forced).toMatchObject({ level: 'error', pending: ['game-in-progress'], phase: 'in-flight', budgetMs: 1500 });
    expect(app.lines.some((l) => l.msg === 'shutdown complete')).toBe(false);
  });
});
