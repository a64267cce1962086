/*
 * The kapi a self-test family installs to run the kernel's own lock code (kernels/locking/) on
 * a testcase's machine: one task (swapper/0 on CPU 0) with nothing else to run, a fresh shared
 * memory per testcase, CONFIG_PROVE_LOCKING=y (so CONFIG_DEBUG_MUTEXES' checks are on), and the
 * machine's validator as kapi.lockdep, so that a DEBUG_LOCKS_WARN_ON() or a lockdep report of
 * the code under test switches the testcase's debug_locks off, which is what dotest() judges.
 *
 * Reports are silent (debug_locks_silent): WARN()s are dropped. Nothing may sleep: a testcase
 * that would block gets a promise from the lock call and the family counts it as a failure (the
 * kernel's self-test would hang there). Anything else a testcase reaches throws, naming it.
 */

import { COVERAGE_COUNTERS, installKapi, type Kapi, type KernelConfig, type LockClassKey, type LockType, type ShmRegion, type TaskRef, type WaitType } from '../kapi.js';
import type { Machine } from './selftest_machine.js';

const SHM_WORDS = 1 << 14;

/** Install the testcase kapi over machine `m`; returns it. */
export function installSelftestKapi(m: Machine): Kapi {
  const i32 = new Int32Array(new SharedArrayBuffer(SHM_WORDS * 4));
  let brk = 16;
  const regions = new Map<string, ShmRegion>();
  const task: TaskRef = { pid: 1, comm: 'swapper/0', cpu: 0 };
  const config: KernelConfig = { kconfig: new Map([['CONFIG_PROVE_LOCKING', 'y']]), bootParams: new Map(), nrCpus: 1, preempt: false };
  const provided: Partial<Kapi> = {
    config,
    nrCpuIds: 1,
    shm: i32,
    smpProcessorId: () => 0,
    current: () => task,
    inTask: () => true,
    jiffies: () => 0,
    localClockNs: () => 0,
    shmAlloc(name: string, words: number, init?: (r: ShmRegion) => void): ShmRegion {
      const have = regions.get(name);
      if (have !== undefined) return have;
      const r: ShmRegion = { i32, base: brk, words };
      brk += Math.ceil(words / 16) * 16;
      if (brk > SHM_WORDS) throw new Error('selftest kapi: out of shared memory');
      regions.set(name, r);
      init?.(r);
      return r;
    },
    mightSleep: () => {},
    preemptDisable: () => {},
    preemptEnable: () => {},
    irqsDisabled: () => false,
    // Nobody sleeps here: a wake-up finds no one; a wait never ends (the family sees the promise).
    wakeUp: () => {},
    waitEvent: () => new Promise<boolean>(() => {}),
    stackTraceSave: () => ['locking_selftest (harness/lockdep/selftest.ts:0)'],
    warn: () => {},
    lockdep: m.ld,
    lockClass: (name: string, type: LockType, waitType: WaitType): LockClassKey => ({ name, ordinal: 0, type, waitType }),
    coverage: new Uint32Array(COVERAGE_COUNTERS),
  };
  const k = new Proxy(provided, {
    get(target, prop: string | symbol): unknown {
      if (prop in target) return target[prop as keyof Kapi];
      throw new Error(`selftest kapi: ${String(prop)} is not provided`);
    },
  }) as Kapi;
  installKapi(k);
  return k;
}
