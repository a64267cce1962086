/*
 * The real kapi of one CPU worker: CpuRuntime for scheduling and context, ShmAllocator for
 * static shared memory, and the lockdep hooks. The hooks always keep the runtime's own per-task
 * held-lock mirror (the hotplug safe point and the hang detector need it, and it costs a counter
 * and a store); they forward to the validator only when one is installed (CONFIG_PROVE_LOCKING=y),
 * decided once here at CPU start.
 */

import type {
  Kapi,
  KernelConfig,
  LockClassKey,
  LockdepHooks,
  LockdepMap,
  LockRead,
  LockType,
  SchedHooks,
  ShmRegion,
  SoftirqNr,
  TaskRef,
  TimerList,
  WaitQueueHead,
  WaitType,
} from '../kapi.js';
import {
  CPU_CMD,
  CPU_CMDS,
  CPU_CURR_PID,
  CPU_HP_WQ,
  CPU_ST,
  CPU_STATE,
  HDR_NEXT_TASK_SLOT,
  HDR_ONLINE_MASK,
  MAX_TASKS,
  TASK_PID,
  cpuWord,
  readComm,
  taskWord,
} from '../shm/layout.js';
import type { ShmAllocator } from '../shm/shm_alloc.js';
import { CpuRuntime, ringCpu } from './cpu_runtime.js';
import type { Task } from './task.js';
import { captureKernelStack } from './stack.js';

export const KERNEL_RELEASE = '0.1.0-torture';
export const KERNEL_BUILD = '#1';

/** The validator as the runtime uses it (harness/lockdep provides it). */
export interface LockdepValidator extends LockdepHooks {
  taskExit(task: Task): void;
  /** lockdep_hardirqs_on(): irqs were re-enabled; held locks become hardirq-unsafe. */
  hardirqsOn(): void;
  /** lockdep_softirqs_on(): bottom halves were re-enabled. */
  softirqsOn(): void;
}

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

/** The hooks installed as kapi.lockdep: runtime bookkeeping, then the validator if any. */
export function makeLockdepHooks(rt: CpuRuntime, v: LockdepValidator | null): LockdepHooks {
  if (v === null) {
    return {
      enabled: false,
      acquire(map: LockdepMap): void {
        rt.currentOrIrq().noteAcquire(map.addr);
      },
      release(map: LockdepMap): void {
        rt.currentOrIrq().noteRelease(map.addr);
      },
      contended(map: LockdepMap): void {
        rt.currentOrIrq().noteWait(map.addr, rt.jiffies());
      },
      acquired(): void {
        rt.currentOrIrq().noteWaitDone();
      },
      assertHeld(): void {},
      rcuSuspicious(): void {},
    };
  }
  return {
    get enabled(): boolean {
      return v.enabled;
    },
    acquire(map: LockdepMap, subclass: number, trylock: boolean, read: LockRead, nestLock: LockdepMap | null): void {
      v.acquire(map, subclass, trylock, read, nestLock);
      rt.currentOrIrq().noteAcquire(map.addr);
    },
    release(map: LockdepMap): void {
      v.release(map);
      rt.currentOrIrq().noteRelease(map.addr);
    },
    contended(map: LockdepMap): void {
      rt.currentOrIrq().noteWait(map.addr, rt.jiffies());
      v.contended(map);
    },
    acquired(map: LockdepMap): void {
      rt.currentOrIrq().noteWaitDone();
      v.acquired(map);
    },
    assertHeld(map: LockdepMap): void {
      v.assertHeld(map);
    },
    rcuSuspicious(file: string, line: number, msg: string): void {
      v.rcuSuspicious(file, line, msg);
    },
  };
}

export function makeKapi(d: KapiDeps): Kapi {
  const { rt, shm, config } = d;
  const i32 = rt.i32;
  const ordinals = new Map<string, number>();
  const lockdep = makeLockdepHooks(rt, d.validator);
  const kapi: Kapi = {
    config,
    nrCpuIds: config.nrCpus,
    shm: i32,
    lockdep,
    smpProcessorId: () => rt.id,
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
    schedule: () => rt.schedule(),
    scheduleTimeout: (j: number) => rt.scheduleTimeout(j),
    waitEvent: (wq: WaitQueueHead, cond: () => boolean, timeoutJ?: number) => rt.waitEvent(wq, cond, timeoutJ),
    wakeUp: (wq: WaitQueueHead) => rt.wakeUp(wq),
    preemptPoint: () => rt.preemptPoint(),
    sleepOn: <T>(p: Promise<T>) => rt.sleepOn(p),
    spinWait(a: Int32Array, index: number, value: number, sliceMs: number): void {
      Atomics.wait(a, index, value, sliceMs); // pairs with Atomics.notify in spinKick()
    },
    spinKick(a: Int32Array, index: number): void {
      Atomics.notify(a, index);
    },
    localIrqDisable(): void {
      rt.irqsOff = true;
    },
    localIrqEnable(): void {
      rt.irqsOff = false;
      d.validator?.hardirqsOn();
    },
    localBhDisable(): void {
      rt.bhCount++;
    },
    localBhEnable(): void {
      if (rt.bhCount > 0) rt.bhCount--;
      if (rt.bhCount === 0) d.validator?.softirqsOn();
    },
    irqsDisabled: () => rt.irqsOff,
    inHardirq: () => rt.hardirqCount > 0,
    inSoftirq: () => rt.softirqCount > 0,
    inInterrupt: () => rt.hardirqCount > 0 || rt.softirqCount > 0 || rt.bhCount > 0,
    preemptDisable(): void {
      rt.preemptCount++;
    },
    preemptEnable(): void {
      if (rt.preemptCount > 0) rt.preemptCount--;
    },
    timerSetup: (fn: () => void) => rt.timerSetup(fn),
    modTimer: (t: TimerList, expires: number) => rt.modTimer(t, expires),
    delTimer: (t: TimerList) => rt.delTimer(t),
    printk: (line: string) => d.printLines([line]),
    warn: (where: string, msg?: string) => d.warn(where, msg),
    noteFailure: (reason: string) => d.noteFailure(reason),
    stackTraceSave: () => captureKernelStack(),
    cpuCurr(cpu: number): TaskRef | null {
      // Pairs with the CPU_CURR_PID stores in CpuRuntime's context switch (a diagnostic read).
      const pid = Atomics.load(i32, cpuWord(cpu, CPU_CURR_PID));
      if (pid === 0) return null;
      const n = Math.min(Atomics.load(i32, HDR_NEXT_TASK_SLOT), MAX_TASKS);
      for (let s = 0; s < n; s++) {
        if (Atomics.load(i32, taskWord(s, TASK_PID)) === pid) return { pid, comm: readComm(i32, s), cpu };
      }
      return { pid, comm: '?', cpu };
    },
    lockClass(name: string, type: LockType, waitType: WaitType): LockClassKey {
      const ordinal = ordinals.get(name) ?? 0;
      ordinals.set(name, ordinal + 1);
      return { name, ordinal, type, waitType };
    },
    registerSchedHooks: (h: SchedHooks) => rt.registerSchedHooks(h),
    openSoftirq: (nr: SoftirqNr, handler: () => void) => rt.openSoftirq(nr, handler),
    raiseSoftirq: (nr: SoftirqNr) => rt.raiseSoftirq(nr),
    rcuReadDepth: () => rt.currentOrIrq().rcuDepth,
    rcuReadDepthAdd(delta: number): void {
      rt.currentOrIrq().rcuDepth += delta;
    },
    cpuOnline: (cpu: number) => (Atomics.load(i32, HDR_ONLINE_MASK) & (1 << cpu)) !== 0,
    onlineMask: () => Atomics.load(i32, HDR_ONLINE_MASK),
    async parkCpu(cpu: number): Promise<void> {
      Atomics.store(i32, cpuWord(cpu, CPU_CMD), CPU_CMDS.park);
      ringCpu(i32, cpu);
      const wq = { i32, index: cpuWord(cpu, CPU_HP_WQ) };
      // Pairs with the CPU_STATE store + wakeUp in CpuRuntime.#park().
      await rt.waitEvent(wq, () => Atomics.load(i32, cpuWord(cpu, CPU_STATE)) === CPU_ST.dead);
    },
    async unparkCpu(cpu: number): Promise<void> {
      Atomics.store(i32, cpuWord(cpu, CPU_CMD), CPU_CMDS.unpark);
      ringCpu(i32, cpu);
      const wq = { i32, index: cpuWord(cpu, CPU_HP_WQ) };
      await rt.waitEvent(wq, () => Atomics.load(i32, cpuWord(cpu, CPU_STATE)) === CPU_ST.online);
    },
    registerApCallbacks: (name: string, teardown: (() => void) | null, startup: (() => void) | null) =>
      rt.registerApCallbacks(name, teardown, startup),
    powerOff: () => d.powerOff(),
    mustStop: () => rt.mustStop(),
  };
  return kapi;
}
