/*
 * What each file of harness/lockdep/examples must show when the nightly battery runs it. One
 * entry per example: a new example without an entry stops the battery's planning with one line
 * naming this file, so that no example is run without being judged.
 */

import type { StepExpect } from './expect.js';

export const LOCKDEP_EXAMPLE_EXPECTATIONS: Readonly<Record<string, StepExpect>> = {
  /** The 2021 TREE05 splat as a recorded trace (`torture lockdep seed.jsonl`). */
  'seed.jsonl': { kind: 'circular', classes: ['cpu_hotplug_lock', 'slab_mutex'], exit: 1 },
  /** Two worker threads, opposite orders, never overlapping: lockdep still sees the ABBA (the program itself exits 0). */
  'two_workers.mjs': { kind: 'circular', classes: ['lock_a', 'lock_b'], exit: 0 },
};
