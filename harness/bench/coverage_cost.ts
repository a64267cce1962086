/*
 * What a coverage point costs (harness/formats/coverage_points.ts): `spin_lock_cov.lock_unlock`
 * is the kernel's spin_lock + spin_unlock fast path with one cov() between them, on a standalone
 * CPU whose kapi installed its real counter block (harness/cpu/standalone.ts -> makeKapi), so the
 * row pays exactly what a point on a hot path pays: one `++` of a Uint32Array element in the
 * guest's SharedArrayBuffer. Its goal compares it with `spin_lock.lock_unlock` of the same run:
 * within noise (COVERAGE_POINT_NOISE) counts as MET.
 */

import { COV, cov } from '../kapi.js';
import { DEFINE_SPINLOCK, spin_lock, spin_unlock } from '../../kernels/locking/spinlock.js';
import type { BenchRow, GoalResult, LatencyRow } from './bench_types.js';
import type { ResolvedPair } from './lock_pair.js';

/** A ratio this close to 1 is noise between two rows of one run (their p50s, each a fresh thread). */
export const COVERAGE_POINT_NOISE = 1.1;

const WITH = 'spin_lock_cov.lock_unlock.uncontended';
const WITHOUT = 'spin_lock.lock_unlock.uncontended';

/** spin_lock + one coverage point + spin_unlock. */
export function spinlockCovPair(): ResolvedPair {
  const l = DEFINE_SPINLOCK('bench_spinlock_cov');
  return {
    ok: true,
    pair: {
      kind: 'sync',
      lock: () => {
        spin_lock(l);
        cov(COV.spin_slowpath);
      },
      unlock: () => spin_unlock(l),
    },
  };
}

function latency(rows: readonly BenchRow[], name: string): LatencyRow | null {
  const r = rows.find((x) => x.name === name);
  return r !== undefined && r.state === 'measured' && r.kind === 'latency' ? r : null;
}

/** The goal line: a lock fast path with a point against the same path without. */
export function coveragePointGoal(rows: readonly BenchRow[]): GoalResult {
  const goal = `a coverage point costs noise (spin_lock with a point <= ${COVERAGE_POINT_NOISE}x without)`;
  const w = latency(rows, WITH);
  const wo = latency(rows, WITHOUT);
  if (w === null || wo === null) return { goal, status: 'UNMEASURED', figure: '-', detail: `needs ${WITH} and ${WITHOUT}` };
  const ratio = w.p50Ns / wo.p50Ns;
  return {
    goal,
    status: ratio <= COVERAGE_POINT_NOISE ? 'MET' : 'MISSED',
    figure: `${ratio.toFixed(2)}x (<= ${COVERAGE_POINT_NOISE}x)`,
    detail: `with a point p50 ${w.p50Ns.toFixed(1)} ns, without ${wo.p50Ns.toFixed(1)} ns (${(w.p50Ns - wo.p50Ns).toFixed(1)} ns per point)`,
  };
}
