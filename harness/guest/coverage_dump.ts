/*
 * The guest's coverage block (harness/formats/coverage_block.ts): the coverage counters of every
 * executor summed and printed once the CPU workers are gone, judged by the facts of the guest's
 * own configuration (harness/suites/coverage_facts.ts).
 *
 * Why plain reads suffice: each executor writes only its own block (kapi's cov(), a non-atomic
 * `++`), and the guest's main thread reads the blocks only after `Worker.terminate()` resolved for
 * every worker: the worker's thread has then exited and been joined by Node (a thread join is a
 * full barrier of the host), so every count it wrote is visible and none is written any more. The
 * partner of this read is that join, not an Atomics operation.
 */

import { coverageBlockLines } from '../formats/coverage_block.js';
import { COVERAGE_COUNTERS } from '../formats/coverage_points.js';
import { coverageCounts } from '../shm/layout.js';
import { coverageFactsOf } from '../suites/coverage_facts.js';
import type { GuestSpec } from './guest_spec.js';

/** The coverage block of a guest whose workers have all ended (see the header). */
export function coverageDump(i32: Int32Array, spec: GuestSpec): string[] {
  return coverageBlockLines(coverageFactsOf(spec), coverageCounts(i32, spec.nrCpus, COVERAGE_COUNTERS));
}
