/*
 * Micro benchmark of the chain-cache hit path: an uncontended futex-style SharedArrayBuffer mutex,
 * lock + unlock, with lockdep annotations going to the real validator versus to no-op hooks (the
 * CONFIG_PROVE_LOCKING=n shape: the call sites stay, the hooks do nothing). Both run in one process,
 * interleaved over several rounds; the medians are returned. No assertion here: the bench helper
 * prints the figure (issue 4 asks for at most 4x).
 */

import type { LockdepHooks, LockdepMap } from '../kapi.js';
import { lockdepInit, regionWords } from './index.js';
import { SimEnv, SimTask } from './sim_env.js';
import type { LockdepLimits } from './types.js';

export interface HitBenchResult {
  /** ns per lock+unlock with no-op hooks. */
  readonly offNs: number;
  /** ns per lock+unlock with lockdep validating (every acquire a chain-cache hit). */
  readonly onNs: number;
  /** onNs / offNs. */
  readonly ratio: number;
  readonly iterations: number;
}

const LIMITS: LockdepLimits = { MAX_LOCKDEP_KEYS: 256, MAX_LOCKDEP_ENTRIES: 1024, MAX_LOCKDEP_CHAINS: 1024, MAX_STACK_TRACE_ENTRIES: 16384, ARENA_WORDS: 1 << 16 };

const NOOP: LockdepHooks = {
  enabled: false,
  acquire(): void {},
  release(): void {},
  contended(): void {},
  acquired(): void {},
  assertHeld(): void {},
  rcuSuspicious(): void {},
};

/** The mutex under test (the shape of kernels/locking mutex_lock/mutex_unlock fast paths). */
function mutex_lock(hooks: LockdepHooks, i32: Int32Array, map: LockdepMap): void {
  hooks.acquire(map, 0, false, 0, null);
  if (Atomics.compareExchange(i32, 0, 0, 1) !== 0) {
    hooks.contended(map);
    while (Atomics.compareExchange(i32, 0, 0, 1) !== 0) Atomics.wait(i32, 0, 1, 1);
    hooks.acquired(map);
  }
}

function mutex_unlock(hooks: LockdepHooks, i32: Int32Array, map: LockdepMap): void {
  hooks.release(map);
  if (Atomics.exchange(i32, 0, 0) === 2) Atomics.notify(i32, 0, 1);
}

function loop(hooks: LockdepHooks, i32: Int32Array, map: LockdepMap, outer: LockdepMap, n: number): number {
  const t0 = process.hrtime.bigint();
  // One lock held around the loop so the hit path hashes a two-entry chain, as most kernel sites do.
  hooks.acquire(outer, 0, false, 0, null);
  for (let i = 0; i < n; i++) {
    mutex_lock(hooks, i32, map);
    mutex_unlock(hooks, i32, map);
  }
  hooks.release(outer);
  return Number(process.hrtime.bigint() - t0) / n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Measure lock+unlock ns/op with lockdep on (cache hits) and off; `rounds` interleaved runs. */
export function benchLockdepHit(iterations = 1_000_000, rounds = 7): HitBenchResult {
  const lockWords = new Int32Array(new SharedArrayBuffer(64));
  const region = new Int32Array(new SharedArrayBuffer(regionWords(LIMITS) * 4));
  const env = new SimEnv(new SimTask(1, 'bench'));
  const ld = lockdepInit(region, 0, env, { resetRegion: true, limits: LIMITS });
  const map: LockdepMap = { key: { name: 'bench_mutex', ordinal: 0, type: 'mutex', waitType: 3 }, addr: 0, name: 'bench_mutex' };
  const outer: LockdepMap = { key: { name: 'bench_outer', ordinal: 0, type: 'mutex', waitType: 3 }, addr: 64, name: 'bench_outer' };
  // Warm up both paths (JIT, first validation of the chain).
  loop(ld, lockWords, map, outer, 50_000);
  loop(NOOP, lockWords, map, outer, 50_000);
  const on: number[] = [];
  const off: number[] = [];
  for (let r = 0; r < rounds; r++) {
    off.push(loop(NOOP, lockWords, map, outer, iterations));
    on.push(loop(ld, lockWords, map, outer, iterations));
  }
  const offNs = median(off);
  const onNs = median(on);
  return { offNs, onNs, ratio: onNs / offNs, iterations };
}
