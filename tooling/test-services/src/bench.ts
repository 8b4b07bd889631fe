/**
 * The small micro-benchmark harness of the packages whose benches time single calls (health,
 * observability): ns per call after a warm-up, and one markdown row per ours-vs-baseline comparison.
 */

/** Runs `fn` repeatedly for about `ms` milliseconds (after a warm-up) and returns ns per call. */
export async function measure(fn: () => unknown, ms = 1500): Promise<number> {
  const warm = performance.now() + ms / 5;
  while (performance.now() < warm) await fn();
  let n = 0;
  const start = performance.now();
  const end = start + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
  }
  return ((performance.now() - start) * 1e6) / n;
}

/** Prints one comparison row: ours vs baseline in ns/op and the ratio. */
export async function compare(name: string, ours: () => unknown, baseline: () => unknown, ms?: number) {
  const b = await measure(baseline, ms);
  const o = await measure(ours, ms);
  const row = { case: name, oursNsPerOp: Math.round(o), baselineNsPerOp: Math.round(b), ratio: Number((o / b).toFixed(2)) };
  console.log(`| ${row.case} | ${row.oursNsPerOp} | ${row.baselineNsPerOp} | ${row.ratio} |`);
  return row;
}
