import { counter, histogram, type MetricsTarget } from './metrics.js';

/** Query count and duration, per database name and outcome. */
export function queryObserver(metrics: MetricsTarget | undefined, name: string): (seconds: number, ok: boolean) => void {
  if (!metrics) return () => undefined;
  const total = counter(metrics, 'db_queries_total', 'Queries executed, by database and outcome', ['db', 'outcome']);
  const duration = histogram(metrics, 'db_query_duration_seconds', 'Query duration in seconds', ['db']);
  const ok = total.labels(name, 'ok');
  const failed = total.labels(name, 'error');
  const timer = duration.labels(name);
  return (seconds, success) => {
    (success ? ok : failed).inc();
    timer.observe(seconds);
  };
}

/** Background checkpoints of a SQLite database, by outcome (a no-op without a registry). */
export function checkpointCounter(metrics: MetricsTarget | undefined, name: string): (ok: boolean) => void {
  if (!metrics) return () => undefined;
  const total = counter(metrics, 'db_sqlite_checkpoints_total', 'Background WAL checkpoints of a SQLite database, by outcome', ['db', 'outcome']);
  const ok = total.labels(name, 'ok');
  const failed = total.labels(name, 'error');
  return (success) => (success ? ok : failed).inc();
}
