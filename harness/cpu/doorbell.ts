/*
 * An executor's doorbell (CPU_DOORBELL of its home slot): the one way another thread makes an
 * executor look again at its sleepers, its hotplug command and its timer line. Its own module
 * because wake-ups, run-token waiters, hotplug control and standalone CPUs all ring it.
 */

import { CPU_DOORBELL, cpuWord } from '../shm/layout.js';

/** Ring executor `cpu`'s doorbell: it re-checks its sleepers and commands. Any thread. */
export function ringCpu(i32: Int32Array, cpu: number): void {
  const w = cpuWord(cpu, CPU_DOORBELL);
  Atomics.add(i32, w, 1);
  Atomics.notify(i32, w, 1); // pairs with the waits in CpuRuntime's #idle() and run()
}
