/*
 * The real kapi of one CPU worker: one table from kapi's names to what implements them. The
 * task context and the scheduler are CpuRuntime's; waits and wake-ups its Sleepers', timers and
 * softirqs its Interrupts', hotplug its Hotplug's (hotplug.ts), the spinlock halt pv_halt.ts's,
 * kapi.lockdep lockdep_hooks.ts's (with lock_stat.ts's in front under CONFIG_LOCK_STAT=y); ShmAllocator serves static shared memory. Members bind to the
 * part that owns them directly, so a kapi call costs one closure call as before the split.
 */

import type { Kapi, KernelConfig, LockClassKey, LockdepHooks, LockType, SchedHooks, ShmRegion, SoftirqNr, TaskRef, TimerList, WaitQueueHead, WaitType } from '../kapi.js';
import { CPU_CURR_PID, HDR_LOCKSTAT_BASE, cpuOnlineIn, cpuWord, coverageView, numOnlineCpusIn, readComm, taskSlotOfPid, thisCpuOnlineIn } from '../shm/layout.js';
import type { ShmAllocator } from '../shm/shm_alloc.js';
import type { CpuRuntime } from './cpu_runtime.js';
import { parkCpu, unparkCpu } from './hotplug.js';
import { kthreadStop } from './kthread_stop.js';
import { makeLockdepHooks, makeRcuReaderOps, type LockdepValidator, type RcuReaderOps } from './lockdep_hooks.js';
import { LockStat, withLockStat } from './lock_stat.js';
import { pvKick, pvKickSeq, pvWait } from './pv_halt.js';
import { setShuffleIdleCpu } from './run_tokens.js';
import { makeSchedPrio } from './sched_prio.js';
import { captureKernelStack } from './stack.js';
import { forEachTask, taskAt } from './task_scan.js';

export { KERNEL_BUILD, KERNEL_RELEASE } from './kernel_release.js';

export interface KapiDeps {
  readonly rt: CpuRuntime;
  readonly shm: ShmAllocator;
  readonly config: KernelConfig;
  readonly validator: LockdepValidator | null;
  readonly printLines: (lines: readonly string[]) => void;
  readonly warn: (where: string, msg: string | undefined) => void;
  readonly noteFailure: (reason: string) => void;
  readonly powerOff: () => void;
}

/** cpu_curr(cpu): the task running on `cpu`, for diagnostics (any CPU). */
function cpuCurr(i32: Int32Array, cpu: number): TaskRef | null {
  // Pairs with the CPU_CURR_PID stores in CpuRuntime's context switch (a diagnostic read).
  const pid = Atomics.load(i32, cpuWord(cpu, CPU_CURR_PID));
  if (pid === 0) return null;
  const s = taskSlotOfPid(i32, pid);
  return { pid, comm: s < 0 ? '?' : readComm(i32, s), cpu };
}

/** lockdep_set_class()'s keys: the n-th class of one name in this CPU gets ordinal n. */
function lockClassKeys(): (name: string, type: LockType, waitType: WaitType) => LockClassKey {
  const ordinals = new Map<string, number>();
  return (name, type, waitType) => {
    const ordinal = ordinals.get(name) ?? 0;
    ordinals.set(name, ordinal + 1);
    return { name, ordinal, type, waitType };
  };
}

/**
 * The lockdep hooks, with lock_stat in front when the guest has a lock_stat region
 * (CONFIG_LOCK_STAT=y), and RCU's reader bookkeeping beside them (through the lock_stat hooks
 * when they are in front).
 */
function lockdepHooks(rt: CpuRuntime, v: LockdepValidator | null): { hooks: LockdepHooks; rcu: RcuReaderOps } {
  const direct = makeLockdepHooks(rt, v);
  const base = Atomics.load(rt.i32, HDR_LOCKSTAT_BASE);
  if (base === 0) return { hooks: direct, rcu: makeRcuReaderOps(rt, direct, v, true) };
  // lockstat_clock(): a stamp is compared only with stamps of the same task, which never leaves
  // its executor's thread, so the thread's own monotonic clock serves (local_clock() is per CPU in
  // the kernel too); `performance` read once: the global is a getter in a worker.
  const perf = performance;
  const ls = new LockStat(rt.i32, base, rt.config.nrCpus, rt.id, () => perf.now() * 1e6, () => rt.cpu);
  const hooks = withLockStat(direct, ls, () => rt.currentOrIrq());
  return { hooks, rcu: makeRcuReaderOps(rt, hooks, v, false) };
}

export function makeKapi(d: KapiDeps): Kapi {
  const { rt, shm, config } = d;
  const { sleepers, irqs, hotplug } = rt;
  const i32 = rt.i32;
  const pend = rt.irqPendingWord;
  const ld = lockdepHooks(rt, d.validator);
  const kapi: Kapi = {
    config,
    nrCpuIds: config.nrCpus,
    shm: i32,
    lockdep: ld.hooks,
    // The held token's CPU (harness/cpu/README.md): it changes only between tasks.
    smpProcessorId: () => rt.cpu,
    current(): TaskRef {
      const t = rt.current;
      if (t === null) throw new Error('current() outside task context');
      return t;
    },
    inTask: () => rt.current !== null && rt.hardirqCount === 0 && rt.softirqCount === 0,
    jiffies: () => rt.jiffies(),
    localClockNs: () => rt.localClockNs(),
    shmAlloc: (name: string, words: number, init?: (r: ShmRegion) => void) => shm.alloc(name, words, init),
    kthreadRun: (fn: () => Promise<void>, comm: string) => rt.kthreadRun(fn, comm),
    kthreadBind: (t: TaskRef, cpu: number) => rt.kthreadBind(rt.ownTask(t), cpu),
    setCpusAllowed: (t: TaskRef, cpus: readonly number[]) => {
      rt.ownTask(t).allowed = cpus.length === 0 ? null : [...cpus];
    },
    kthreadStop: (pid: number) => kthreadStop(rt, pid),
    tortureShuffleTaskRegister(t: TaskRef): void {
      rt.ownTask(t).shuffled = true;
    },
    setShuffleIdleCpu: (cpu: number, random = false) => setShuffleIdleCpu(i32, cpu, random),
    schedule: () => rt.schedule(),
    scheduleTimeout: (j: number) => sleepers.scheduleTimeout(j),
    waitEvent: (wq: WaitQueueHead, cond: () => boolean, timeoutJ?: number) => sleepers.waitEvent(wq, cond, timeoutJ),
    waitEventInterruptible: (wq: WaitQueueHead, cond: () => boolean, timeoutJ?: number) => sleepers.waitEventInterruptible(wq, cond, timeoutJ),
    wakeUp: (wq: WaitQueueHead) => sleepers.wakeUp(wq),
    wakeUpProcess: (pid: number) => sleepers.wakeUpProcess(pid),
    waitQueueIpi: (wq: WaitQueueHead, on: boolean) => sleepers.waitQueueIpi(wq, on),
    sendIpi: (cpu: number) => sleepers.sendIpi(cpu),
    preemptPoint: () => rt.preemptPoint(),
    condResched: () => rt.condResched(),
    mightSleep: () => rt.mightSleep(),
    sleepOn: <T>(p: Promise<T>) => sleepers.sleepOn(p),
    spinWait(a: Int32Array, index: number, value: number, sliceMs: number): void {
      Atomics.wait(a, index, value, sliceMs); // pairs with Atomics.notify in spinKick()
    },
    spinKick(a: Int32Array, index: number): void {
      Atomics.notify(a, index);
    },
    pvKickSeq: () => pvKickSeq(rt),
    pvWait: (a: Int32Array, index: number, value: number, seen: number) => pvWait(rt, a, index, value, seen),
    pvKick: (cpu: number) => pvKick(i32, cpu),
    localIrqDisable(): void {
      rt.irqsOff = true;
    },
    localIrqEnable(): void {
      rt.irqsOff = false;
      d.validator?.hardirqsOn();
      if (i32[pend] !== 0) rt.takePendingInterrupts();
    },
    localBhDisable(): void {
      rt.bhCount++;
    },
    localBhEnable(): void {
      if (rt.bhCount > 0) rt.bhCount--;
      if (rt.bhCount === 0) {
        d.validator?.softirqsOn();
        irqs.softirqsReenabled();
      }
      if (i32[pend] !== 0) rt.takePendingInterrupts();
    },
    irqsDisabled: () => rt.irqsOff,
    inHardirq: () => rt.hardirqCount > 0,
    inSoftirq: () => rt.softirqCount > 0,
    inInterrupt: () => rt.hardirqCount > 0 || rt.softirqCount > 0 || rt.bhCount > 0,
    preemptDisable(): void {
      rt.preemptCount++;
    },
    preemptible: () => !rt.inAtomic(),
    preemptEnable(): void {
      if (rt.preemptCount > 0) rt.preemptCount--;
      if (i32[pend] !== 0) rt.takePendingInterrupts();
    },
    udelay: (us: number) => rt.delay(us),
    mdelay: (ms: number) => rt.delay(ms * 1000),
    timerSetup: (fn: () => void) => irqs.timerSetup(fn),
    modTimer: (t: TimerList, expires: number) => irqs.modTimer(t, expires),
    delTimer: (t: TimerList) => irqs.delTimer(t),
    printk: (line: string) => d.printLines([line]),
    warn: (where: string, msg?: string) => d.warn(where, msg),
    noteFailure: (reason: string) => d.noteFailure(reason),
    stackTraceSave: () => captureKernelStack(),
    cpuCurr: (cpu: number) => cpuCurr(i32, cpu),
    forEachTask: () => forEachTask(i32),
    taskAt: (slot: number) => taskAt(i32, slot),
    lockClass: lockClassKeys(),
    registerSchedHooks: (h: SchedHooks) => rt.registerSchedHooks(h),
    openSoftirq: (nr: SoftirqNr, handler: () => void) => irqs.openSoftirq(nr, handler),
    raiseSoftirq: (nr: SoftirqNr) => irqs.raiseSoftirq(nr),
    rcuReadDepth: () => rt.currentOrIrq().rcuDepth,
    rcuReadDepthAdd(delta: number): void {
      rt.currentOrIrq().rcuDepth += delta;
      if (i32[pend] !== 0) rt.takePendingInterrupts();
    },
    rcuReadLockAcquire: ld.rcu.lock,
    rcuReadUnlockRelease: ld.rcu.unlock,
    cpuOnline: (cpu: number) => cpuOnlineIn(i32, cpu),
    thisCpuOnline: () => thisCpuOnlineIn(i32, rt.cpu),
    numOnlineCpus: () => numOnlineCpusIn(i32),
    parkCpu: (cpu: number) => parkCpu(rt, cpu),
    unparkCpu: (cpu: number) => unparkCpu(rt, cpu),
    registerApCallbacks: (name: string, teardown: (() => void) | null, startup: (() => void) | null) =>
      hotplug.registerApCallbacks(name, teardown, startup),
    powerOff: () => d.powerOff(),
    mustStop: () => rt.mustStop(),
    sched: makeSchedPrio(i32),
    coverage: coverageView(i32, rt.id),
  };
  return kapi;
}
