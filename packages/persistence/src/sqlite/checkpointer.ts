import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.js';

/** What the background checkpointer has done so far. */
export interface CheckpointStats {
  /** Checkpoints run. */
  readonly runs: number;
  /** Checkpoints that failed (logged; the next one tries again). */
  readonly failures: number;
  /** WAL frames in the log at the last checkpoint, and how many of them it copied into the database. */
  readonly lastLogFrames: number;
  readonly lastCheckpointedFrames: number;
}

/** A running background checkpointer. */
export interface Checkpointer {
  stats(): CheckpointStats;
  /** Runs a last checkpoint and stops the worker. */
  stop(): Promise<void>;
}

// Plain CommonJS for `eval: true`; runs in its own thread with its own connection to the same file.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.filename, { timeout: workerData.busyTimeoutMs });
const stmt = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const tick = () => {
  try {
    const r = stmt.get();
    parentPort.postMessage({ ok: true, log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e) });
  }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  tick();
  db.close();
  parentPort.postMessage({ stopped: true });
});
parentPort.postMessage({ ready: true });
`;

interface WorkerMessage {
  ready?: true;
  stopped?: true;
  ok?: boolean;
  log?: number;
  checkpointed?: number;
  error?: string;
}

/**
 * Runs `PRAGMA wal_checkpoint(PASSIVE)` every `intervalMs` from a worker thread with its own connection, so
 * copying the WAL back into the database never happens inside a commit on the caller's thread (with SQLite's
 * automatic checkpoints, the commit that crosses 1,000 WAL pages does it, stalling the event loop for
 * milliseconds). A PASSIVE checkpoint takes no writer lock: commits go on while it runs. Resolves once the
 * worker's connection is open.
 */
export async function startCheckpointer(options: {
  filename: string;
  driverPath: string;
  intervalMs: number;
  busyTimeoutMs: number;
  logger: Logger;
  onCheckpoint?: (ok: boolean) => void;
}): Promise<Checkpointer> {
  let runs = 0;
  let failures = 0;
  let lastLogFrames = 0;
  let lastCheckpointedFrames = 0;
  let failureLogged = false;
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { filename: options.filename, driverPath: options.driverPath, intervalMs: options.intervalMs, busyTimeoutMs: options.busyTimeoutMs },
  });
  let stopped: (() => void) | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    worker.once('error', onError);
    worker.on('message', (m: WorkerMessage) => {
      if (m.ready) {
        worker.off('error', onError);
        worker.on('error', (err) => options.logger.error({ err: String(err) }, 'sqlite checkpoint worker failed'));
        resolve();
      } else if (m.stopped) {
        stopped?.();
      } else if (m.ok === true) {
        runs++;
        lastLogFrames = m.log ?? 0;
        lastCheckpointedFrames = m.checkpointed ?? 0;
        failureLogged = false;
        options.onCheckpoint?.(true);
      } else if (m.ok === false) {
        failures++;
        options.onCheckpoint?.(false);
        if (!failureLogged) options.logger.warn({ err: m.error }, 'sqlite background checkpoint failed; retrying');
        failureLogged = true;
      }
    });
  });
  worker.unref();

  return {
    stats: () => ({ runs, failures, lastLogFrames, lastCheckpointedFrames }),
    async stop() {
      const done = new Promise<void>((resolve) => (stopped = resolve));
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await Promise.race([done, exited]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
