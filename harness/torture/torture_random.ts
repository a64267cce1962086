/*
 * torture_random(): the kernel's generator (kernel/torture.c) and the seeding that makes every
 * random stream of a run derive from one seed. Pure (no kapi), so that the driver's host-side
 * jitter threads draw from the same kind of stream as the guests' kthreads. Kernel code gets its
 * streams through harness/torture/common.ts (torture_random_state()), which names them.
 *
 * A stream's first state is FNV-1a of `seed/name`. Departure from the kernel: every 10000 calls the
 * kernel adds local_clock() to the state; we add a hash of (seed, name, refresh count), so that a
 * seed reproduces a stream for the whole run.
 */

import { fnv1a } from '../lib/fnv1a.js';

export interface TortureRandomState {
  state: number;
  count: number;
  /** The stream's name and seed, for the deterministic refresh. */
  readonly name: string;
  readonly seed: number;
  refreshes: number;
}

const TORTURE_RANDOM_MULT = 39916801;
const TORTURE_RANDOM_ADD = 479001701;
const TORTURE_RANDOM_REFRESH = 10000;

/** A new stream `name` of run seed `seed`. */
export function seededRandomState(seed: number, name: string): TortureRandomState {
  return { state: fnv1a(`${seed >>> 0}/${name}`), count: TORTURE_RANDOM_REFRESH, name, seed: seed >>> 0, refreshes: 0 };
}

/** torture_random(): the kernel's LCG, refreshed every 10000 calls (see above), halfword-swapped. */
export function torture_random(trsp: TortureRandomState): number {
  if (--trsp.count < 0) {
    trsp.refreshes++;
    trsp.state = (trsp.state + fnv1a(`${trsp.seed}/${trsp.name}/${trsp.refreshes}`)) >>> 0;
    trsp.count = TORTURE_RANDOM_REFRESH;
  }
  trsp.state = (Math.imul(trsp.state, TORTURE_RANDOM_MULT) + TORTURE_RANDOM_ADD) >>> 0;
  const x = trsp.state;
  return ((x << 16) | (x >>> 16)) >>> 0;
}

/** The first `n` values of a stream, drawn from a copy (the stream itself is untouched). */
export function firstValues(trsp: TortureRandomState, n: number): number[] {
  const probe: TortureRandomState = { ...trsp };
  return Array.from({ length: n }, () => torture_random(probe));
}
