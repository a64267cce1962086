/*
 * What lock_stat costs (CONFIG_LOCK_STAT, harness/cpu/lock_stat.ts): the `.lock_stat` rows are a
 * lock's fast path on a standalone CPU whose machine has a lock_stat region (every acquisition
 * and release then takes a clock stamp and updates its class's statistics, as the kernel's
 * lock_acquire()/lock_release() do under LOCK_STAT), each against the same row without, in the
 * same run. Its goal is lockdep's budget: at most 4x the lock without it; the worst pair counts.
 */

import type { BenchRow, GoalResult, LatencyRow } from './bench_types.js';

export const LOCK_STAT_ON_VS_OFF = 4;

function latency(rows: readonly BenchRow[], name: string): LatencyRow | null {
  const r = rows.find((x) => x.name === name);
  return r !== undefined && r.state === 'measured' && r.kind === 'latency' ? r : null;
}

/** The goal line: every `.lock_stat` row against its row without. */
export function lockStatGoal(rows: readonly BenchRow[]): GoalResult {
  const goal = `lock_stat on <= ${LOCK_STAT_ON_VS_OFF}x lock_stat off`;
  const pairs: { name: string; on: number; off: number }[] = [];
  for (const r of rows) {
    if (!r.name.endsWith('.lock_stat')) continue;
    const on = latency(rows, r.name);
    const off = latency(rows, r.name.replace(/\.lock_stat$/, ''));
    if (on !== null && off !== null) pairs.push({ name: off.name, on: on.p50Ns, off: off.p50Ns });
  }
  if (pairs.length === 0) return { goal, status: 'UNMEASURED', figure: '-', detail: 'needs a .lock_stat row and its row without (e.g. spin_lock.lock_unlock.uncontended)' };
  pairs.sort((a, b) => b.on / b.off - a.on / a.off);
  const worst = pairs[0] as { name: string; on: number; off: number };
  const ratio = worst.on / worst.off;
  return {
    goal,
    status: ratio <= LOCK_STAT_ON_VS_OFF ? 'MET' : 'MISSED',
    figure: `worst ${ratio.toFixed(2)}x (<= ${LOCK_STAT_ON_VS_OFF}x)`,
    detail: pairs.map((p) => `${p.name} ${p.off.toFixed(1)} -> ${p.on.toFixed(1)} ns (${(p.on / p.off).toFixed(2)}x)`).join(', '),
  };
}
