/*
 * Small statistics for figures tinybench does not compute (the rounds of a contended row, the
 * synchronize_rcu() latencies): relative margin of error with Student's t, percentiles.
 */

/** Two-sided 95% Student's t critical values for df = 1..10; 1.96 beyond. */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228] as const;

/** Relative margin of error of the mean, percent (0 for fewer than two values). */
export function rmeOf(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (mean === 0) return Infinity;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  const t = T95[n - 2] ?? 1.96;
  return (100 * t * Math.sqrt(variance / n)) / Math.abs(mean);
}

/** Linear-interpolated percentile (q in 0..1) of unsorted values; NaN when empty. */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = s[lo] ?? NaN;
  const b = s[hi] ?? NaN;
  return a + (b - a) * (pos - lo);
}
