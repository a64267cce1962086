/*
 * One host-side jitter thread (kvm.sh's jitter.sh): sleep a random time up to maxSleepUs, then
 * spin a random time up to maxSpinUs, until told to stop. Both draws come from the seeded stream
 * `jitter/<index>` of the run's seed. The sleep is an Atomics.wait on the stop word (paired with
 * the driver's Atomics.store + notify in jitter.ts), so that stopping is immediate.
 */

import { workerData } from 'node:worker_threads';
import { seededRandomState, torture_random } from '../torture/torture_random.js';

export interface JitterWorkerData {
  readonly index: number;
  readonly seed: number;
  readonly maxSleepUs: number;
  readonly maxSpinUs: number;
  /** Word 0: stop flag (1 = stop); word 1 + index: milliseconds this thread has spun so far. */
  readonly stop: SharedArrayBuffer;
}

const d = workerData as JitterWorkerData;
const stop = new Int32Array(d.stop);
const rand = seededRandomState(d.seed, `jitter/${d.index}`);

while (Atomics.load(stop, 0) === 0) {
  const sleepUs = d.maxSleepUs > 0 ? torture_random(rand) % d.maxSleepUs : 0;
  if (sleepUs > 0) Atomics.wait(stop, 0, 0, sleepUs / 1000);
  const spinUs = d.maxSpinUs > 0 ? torture_random(rand) % d.maxSpinUs : 0;
  const from = performance.now();
  const until = from + spinUs / 1000;
  while (performance.now() < until && Atomics.load(stop, 0) === 0) {
    /* busy: this is the load */
  }
  Atomics.add(stop, 1 + d.index, Math.round(performance.now() - from));
}
