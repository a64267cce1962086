/*
 * Where locktorture keeps each stress task's lock_stress_stats in guest shared memory (one
 * 64-byte line per task: Float64 [n_lock_acquired, n_lock_fail]), and a reader for the guest's
 * main thread, which writes the per-task counts to locktorture_tasks.json at shutdown for the
 * HTML report's fairness chart (the kernel prints only the Max/Min of them).
 */

import { findSymbol } from '../shm/shm_alloc.js';

export const LWSA_SYMBOL = 'lock_torture_cxt.lwsa';
export const LRSA_SYMBOL = 'lock_torture_cxt.lrsa';
/** Float64s per task: one cache line. */
export const STATS_LINE_F64 = 8;

/** Words of the region for n tasks (at least one line, as lock_torture_init allocates it). */
export function statsWords(n: number): number {
  return Math.max(1, n) * STATS_LINE_F64 * 2;
}

function counts(i32: Int32Array, name: string): number[] {
  const r = findSymbol(i32, name);
  if (r === null) return [];
  const n = Math.floor(r.words / (STATS_LINE_F64 * 2));
  const f64 = new Float64Array(i32.buffer, r.base * 4, n * STATS_LINE_F64);
  const out: number[] = [];
  for (let t = 0; t < n; t++) out.push(f64[t * STATS_LINE_F64] ?? 0);
  return out;
}

/** Acquisitions of each writer and reader task, or null when locktorture did not run. */
export function readLockStressStats(i32: Int32Array): { writers: number[]; readers: number[] } | null {
  const writers = counts(i32, LWSA_SYMBOL);
  if (writers.length === 0) return null;
  const readers = counts(i32, LRSA_SYMBOL);
  // A type without readers still has its one-line reader region, all zero.
  return { writers, readers: readers.some((n) => n > 0) ? readers : [] };
}
