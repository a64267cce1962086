/*
 * A minimal kapi for testing lock ALGORITHMS on plain worker threads, without the guest runtime:
 * one worker = one CPU running exactly one task. Sleeping waits block the worker (Atomics.wait on
 * its doorbell) instead of switching tasks, which is the same wake-up protocol as the real
 * runtime (publish the CPU bit in the wait-queue word, re-check, sleep; the waker rings every CPU
 * in the mask). Shared memory is allocated by a per-thread bump allocator, so every worker that
 * allocates the same names in the same order gets the same regions.
 *
 * Test hooks: per-thread counters of lockdep calls, spin kicks and wake-ups (to prove the fast
 * paths stay fast), and a "frozen" word per CPU: while it is set, that CPU ignores wake-ups, as
 * a task frozen on an offline CPU does.
 *
 * Not provided (throws): timers, softirqs, hotplug plumbing, sched hooks, RCU bookkeeping.
 */

import {
  COVERAGE_COUNTERS,
  installKapi,
  type Kapi,
  type KernelConfig,
  type LockClassKey,
  type LockType,
  type ShmRegion,
  type TaskRef,
  type WaitQueueHead,
  type WaitType,
} from '../../../harness/kapi.js';

/** Layout of the fake guest memory (Int32 words). */
export const FAKE_DOORBELL_BASE = 0; // 32 CPUs x 16 words
export const FAKE_FROZEN_BASE = 32 * 16; // 32 CPUs x 16 words
export const FAKE_TEST_BASE = 64 * 16; // 256 words for the test's own meeting points
/** fake_kapi's own word at the end of the test area: every lockdep.contended() adds 1 (any CPU). */
export const FAKE_CONTENDED = FAKE_TEST_BASE + 240;
export const FAKE_HEAP_BASE = FAKE_TEST_BASE + 256;
export const FAKE_SHM_WORDS = 1 << 16;

export interface FakeCounters {
  acquire: number;
  release: number;
  contended: number;
  acquired: number;
  spinKick: number;
  spinWait: number;
  wakeUp: number;
  waitSleeps: number;
  /** lock_acquire() calls with read=2 (recursive read). */
  recursiveReads: number;
}

export const fakeCounters: FakeCounters = { acquire: 0, release: 0, contended: 0, acquired: 0, spinKick: 0, spinWait: 0, wakeUp: 0, waitSleeps: 0, recursiveReads: 0 };

function ring(i32: Int32Array, cpu: number): void {
  const w = FAKE_DOORBELL_BASE + cpu * 16;
  Atomics.add(i32, w, 1);
  Atomics.notify(i32, w); // pairs with the Atomics.wait in waitEvent()
}

function notHere(name: string): never {
  throw new Error(`fake kapi: ${name} is not provided`);
}

/** Install a fake kapi for `cpu` over `i32` (the test's SharedArrayBuffer). */
export function installFakeKapi(i32: Int32Array, cpu: number, nrCpus: number, bootParams: Record<string, string> = {}): Kapi {
  let brk = FAKE_HEAP_BASE;
  const regions = new Map<string, ShmRegion>();
  const ordinals = new Map<string, number>();
  const task: TaskRef = { pid: 100 + cpu, comm: `test/${cpu}`, cpu };
  const doorbell = FAKE_DOORBELL_BASE + cpu * 16;
  const frozen = FAKE_FROZEN_BASE + cpu * 16;
  const t0 = performance.now();
  let irqsOff = false;
  let bh = 0;
  let preempt = 0;
  const config: KernelConfig = { kconfig: new Map(), bootParams: new Map(Object.entries(bootParams)), nrCpus, preempt: false };
  const c = fakeCounters;
  const k: Kapi = {
    config,
    nrCpuIds: nrCpus,
    shm: i32,
    smpProcessorId: () => cpu,
    current: () => task,
    inTask: () => true,
    jiffies: () => Math.floor(performance.now() - t0),
    localClockNs: () => Math.floor((performance.now() - t0) * 1e6),
    shmAlloc(name: string, words: number, init?: (r: ShmRegion) => void): ShmRegion {
      const have = regions.get(name);
      if (have !== undefined) return have;
      const r: ShmRegion = { i32, base: brk, words };
      brk += Math.ceil(words / 16) * 16;
      if (brk > i32.length) throw new Error('fake kapi: out of shared memory');
      regions.set(name, r);
      if (cpu === 0) init?.(r);
      return r;
    },
    kthreadRun: () => notHere('kthreadRun'),
    kthreadBind: () => notHere('kthreadBind'),
    setCpusAllowed: () => notHere('setCpusAllowed'),
    kthreadStop: () => notHere('kthreadStop'),
    tortureShuffleTaskRegister: () => notHere('tortureShuffleTaskRegister'),
    setShuffleIdleCpu: () => notHere('setShuffleIdleCpu'),
    schedule: () => Promise.resolve(),
    scheduleTimeout(j: number): Promise<void> {
      Atomics.wait(i32, doorbell, Atomics.load(i32, doorbell) + 1, j); // a plain sleep
      return Promise.resolve();
    },
    wakeUpProcess: () => notHere('wakeUpProcess'),
    waitQueueIpi: () => notHere('waitQueueIpi'),
    sendIpi: () => notHere('sendIpi'),
    udelay(us: number): null {
      const end = performance.now() + us / 1000;
      while (performance.now() < end);
      return null;
    },
    mdelay(ms: number): null {
      const end = performance.now() + ms;
      while (performance.now() < end);
      return null;
    },
    waitEventInterruptible(wq: WaitQueueHead, cond: () => boolean, timeoutJ?: number): Promise<boolean> {
      return this.waitEvent(wq, cond, timeoutJ);
    },
    async waitEvent(wq: WaitQueueHead, cond: () => boolean, timeoutJ?: number): Promise<boolean> {
      if (cond()) return true;
      const bit = 1 << cpu;
      const end = timeoutJ === undefined ? Infinity : performance.now() + timeoutJ;
      // Publish, then re-check: pairs with the state change + mask load in wakeUp().
      Atomics.or(wq.i32, wq.index, bit);
      try {
        let seen = Atomics.load(i32, doorbell);
        if (Atomics.load(i32, frozen) === 0 && cond()) return true;
        for (;;) {
          const left = end - performance.now();
          if (left <= 0) return false;
          c.waitSleeps++;
          Atomics.wait(i32, doorbell, seen, Math.min(left, 1000));
          // A frozen CPU does not look at its sleepers until it is thawed; then it re-checks
          // them all, as an unparked CPU does. Otherwise only a ring makes it re-check: like the
          // real runtime, nothing polls, so a missing wakeUp() hangs this test.
          let thawed = false;
          while (Atomics.load(i32, frozen) !== 0) {
            thawed = true;
            Atomics.wait(i32, frozen, 1, 5);
          }
          const now = Atomics.load(i32, doorbell);
          if (now === seen && !thawed) continue;
          seen = now;
          if (cond()) return true;
        }
      } finally {
        Atomics.and(wq.i32, wq.index, ~bit);
      }
    },
    wakeUp(wq: WaitQueueHead): void {
      c.wakeUp++;
      const mask = Atomics.load(wq.i32, wq.index);
      for (let n = 0, m = mask; m !== 0; n++, m >>>= 1) if ((m & 1) !== 0) ring(i32, n);
    },
    preemptPoint: () => null,
    condResched: () => null,
    sleepOn: <T>(p: Promise<T>) => p,
    spinWait(a: Int32Array, index: number, value: number, sliceMs: number): void {
      c.spinWait++;
      Atomics.wait(a, index, value, sliceMs);
    },
    spinKick(a: Int32Array, index: number): void {
      c.spinKick++;
      Atomics.notify(a, index);
    },
    pvKickSeq: () => Atomics.load(i32, FAKE_FROZEN_BASE + cpu * 16 + 1),
    pvWait(a: Int32Array, index: number, value: number, seen: number): void {
      c.spinWait++;
      const kick = FAKE_FROZEN_BASE + cpu * 16 + 1; // the frozen line's second word: this CPU's kick count
      if (Atomics.load(a, index) !== value) return;
      while (Atomics.load(i32, kick) === seen) Atomics.wait(i32, kick, seen, 1000); // pairs with pvKick()
    },
    pvKick(n: number): void {
      c.spinKick++;
      const kick = FAKE_FROZEN_BASE + n * 16 + 1;
      Atomics.add(i32, kick, 1);
      Atomics.notify(i32, kick);
    },
    localIrqDisable(): void {
      irqsOff = true;
    },
    localIrqEnable(): void {
      irqsOff = false;
    },
    localBhDisable(): void {
      bh++;
    },
    localBhEnable(): void {
      bh--;
    },
    irqsDisabled: () => irqsOff,
    inHardirq: () => false,
    inSoftirq: () => false,
    inInterrupt: () => bh > 0,
    preemptDisable(): void {
      preempt++;
    },
    preemptEnable(): void {
      preempt--;
    },
    preemptible: () => preempt === 0 && bh === 0 && !irqsOff,
    timerSetup: () => notHere('timerSetup'),
    modTimer: () => notHere('modTimer'),
    delTimer: () => notHere('delTimer'),
    printk: (line: string) => {
      process.stdout.write(`${line}\n`);
    },
    warn: (where: string) => notHere(`warn(${where})`),
    noteFailure: (reason: string) => notHere(`noteFailure(${reason})`),
    stackTraceSave: () => [],
    cpuCurr: (c: number) => (c === cpu ? task : null),
    forEachTask: () => notHere('forEachTask'),
    taskAt: () => notHere('taskAt'),
    mightSleep: () => {},
    lockdep: {
      enabled: false,
      acquire: (_map, _subclass, _trylock, read) => {
        c.acquire++;
        if (read === 2) c.recursiveReads++;
      },
      release: () => {
        c.release++;
      },
      contended: () => {
        c.contended++;
        Atomics.add(i32, FAKE_CONTENDED, 1); // pairs with the waitForAtLeast() in lock_worker's forceContention()
        Atomics.notify(i32, FAKE_CONTENDED);
      },
      acquired: () => {
        c.acquired++;
      },
      assertHeld: () => {},
      isHeld: () => true,
      checkNoLocksFreed: () => undefined,
      rcuSuspicious: () => {},
    },
    lockClass(name: string, type: LockType, waitType: WaitType): LockClassKey {
      const ordinal = ordinals.get(name) ?? 0;
      ordinals.set(name, ordinal + 1);
      return { name, ordinal, type, waitType };
    },
    registerSchedHooks: () => notHere('registerSchedHooks'),
    openSoftirq: () => notHere('openSoftirq'),
    raiseSoftirq: () => notHere('raiseSoftirq'),
    rcuReadDepth: () => 0,
    rcuReadDepthAdd: () => notHere('rcuReadDepthAdd'),
    rcuReadLockAcquire: () => notHere('rcuReadLockAcquire'),
    rcuReadUnlockRelease: () => notHere('rcuReadUnlockRelease'),
    cpuOnline: () => true,
    thisCpuOnline: () => true,
    numOnlineCpus: () => nrCpus,
    parkCpu: () => notHere('parkCpu'),
    unparkCpu: () => notHere('unparkCpu'),
    registerApCallbacks: () => notHere('registerApCallbacks'),
    powerOff: () => notHere('powerOff'),
    mustStop: () => false,
    sched: { setscheduler: () => notHere('sched.setscheduler'), prio: () => 120, normalPrio: () => 120, setPiPrio: () => notHere('sched.setPiPrio') },
    coverage: new Uint32Array(COVERAGE_COUNTERS),
  };
  installKapi(k);
  return k;
}

/** Meeting point: wait (bounded) until i32[index] >= value. Returns false on timeout. */
export function waitForAtLeast(i32: Int32Array, index: number, value: number, timeoutMs = 10_000): boolean {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = Atomics.load(i32, index);
    if (v >= value) return true;
    const left = end - performance.now();
    if (left <= 0) return false;
    Atomics.wait(i32, index, v, Math.min(left, 50)); // pairs with bump()'s notify
  }
}

/** Advance a meeting-point word and wake its waiters. */
export function bump(i32: Int32Array, index: number, to: number): void {
  Atomics.store(i32, index, to);
  Atomics.notify(i32, index);
}
