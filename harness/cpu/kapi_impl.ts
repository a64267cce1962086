/*
 * The real kapi of one CPU worker: CpuRuntime for scheduling and context, ShmAllocator for
 * static shared memory, and the lockdep hooks. The hooks always keep the runtime's own per-task
 * held-lock mirror (the hang detector needs it, and it costs a counter
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
  CPU_PV_KICK,
  CPU_PV_WAIT_ADDR,
  CPU_PV_WAIT_SINCE,
  CPU_ST,
  CPU_STATE,
  HDR_MUST_STOP,
  HDR_NEXT_TASK_SLOT,
  HDR_SHUFFLE_GEN,
  HDR_SHUFFLE_IDLE,
  cpuOnlineIn,
  numOnlineCpusIn,
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
/** A halted CPU looks up every this often, only to notice power-off (it never re-checks the lock). */
const PV_WAIT_SLICE_MS = 500;
export const KERNEL_BUILD = '#1';

/** The validator as the runtime uses it (harness/lockdep provides it). */
export interface LockdepValidator extends LockdepHooks {
  taskExit(task: Task): void;
  /** lockdep_hardirqs_on(): irqs were re-enabled; held locks become hardirq-unsafe. */
  hardirqsOn(): void;
  /** lockdep_softirqs_on(): bottom halves were re-enabled. */
  softirqsOn(): void;
  /** debug_show_held_locks(current). */
  showHeldLocks(): string[];
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
  const i32 = rt.i32;
  // The pending-interrupt test on lock, unlock, preempt_enable and irq/bh enable is a plain load
  // and a branch, as the kernel's need_resched()/softirq_pending tests are READ_ONCE()s: an
  // Atomics.load here cost 15-17 ns per spin_lock+unlock pair on Node 20 (not inlined), a plain
  // load about 1-2 ns. Its writer is the guest main thread's APIC tick, an Atomics.store of
  // CPU_IRQ_PENDING (harness/guest/guest_main.ts). A plain load cannot be cached across an
  // Atomics operation or a call V8 did not inline, and every lock operation is one, so a raised
  // line is seen at the next such kapi call; a busy-wait loop (CpuRuntime.delay) uses Atomics.load.
  const pend = rt.irqPendingWord;
  if (v === null) {
    return {
      enabled: false,
      acquire(map: LockdepMap): void {
        rt.currentOrIrq().noteAcquire(map.addr);
        // An interrupt may arrive at any lock operation made with irqs on: one load and a branch.
        if (i32[pend] !== 0) rt.takePendingInterrupts();
      },
      release(map: LockdepMap): void {
        rt.currentOrIrq().noteRelease(map.addr);
        if (i32[pend] !== 0) rt.takePendingInterrupts();
      },
      contended(map: LockdepMap): void {
        rt.currentOrIrq().noteWait(map.addr, rt.jiffies());
      },
      acquired(): void {
        rt.currentOrIrq().noteWaitDone();
      },
      assertHeld(): void {},
      isHeld: () => true,
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
      if (i32[pend] !== 0) rt.takePendingInterrupts();
    },
    release(map: LockdepMap): void {
      v.release(map);
      rt.currentOrIrq().noteRelease(map.addr);
      if (i32[pend] !== 0) rt.takePendingInterrupts();
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
    isHeld: (map: LockdepMap) => v.isHeld(map),
    rcuSuspicious(file: string, line: number, msg: string): void {
      v.rcuSuspicious(file, line, msg);
    },
  };
}

export function makeKapi(d: KapiDeps): Kapi {
  const { rt, shm, config } = d;
  const i32 = rt.i32;
  const pend = rt.irqPendingWord;
  const ordinals = new Map<string, number>();
  const lockdep = makeLockdepHooks(rt, d.validator);
  const kapi: Kapi = {
    config,
    nrCpuIds: config.nrCpus,
    shm: i32,
    lockdep,
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
    tortureShuffleTaskRegister(t: TaskRef): void {
      rt.ownTask(t).shuffled = true;
    },
    setShuffleIdleCpu(cpu: number, random = false): void {
      // Read by every executor at its task switches (CpuRuntime's #shuffleIdle()); the generation
      // first, so that a task that sees the new idle CPU also sees that it is a new shuffle.
      if (random) Atomics.add(i32, HDR_SHUFFLE_GEN, 1);
      else Atomics.store(i32, HDR_SHUFFLE_GEN, 0);
      Atomics.store(i32, HDR_SHUFFLE_IDLE, cpu + 1);
    },
    schedule: () => rt.schedule(),
    scheduleTimeout: (j: number) => rt.scheduleTimeout(j),
    waitEvent: (wq: WaitQueueHead, cond: () => boolean, timeoutJ?: number) => rt.waitEvent(wq, cond, timeoutJ),
    waitEventInterruptible: (wq: WaitQueueHead, cond: () => boolean, timeoutJ?: number) => rt.waitEventInterruptible(wq, cond, timeoutJ),
    wakeUp: (wq: WaitQueueHead) => rt.wakeUp(wq),
    wakeUpProcess: (pid: number) => rt.wakeUpProcess(pid),
    waitQueueIpi: (wq: WaitQueueHead, on: boolean) => rt.waitQueueIpi(wq, on),
    sendIpi: (cpu: number) => rt.sendIpi(cpu),
    preemptPoint: () => rt.preemptPoint(),
    mightSleep: () => rt.mightSleep(),
    sleepOn: <T>(p: Promise<T>) => rt.sleepOn(p),
    spinWait(a: Int32Array, index: number, value: number, sliceMs: number): void {
      Atomics.wait(a, index, value, sliceMs); // pairs with Atomics.notify in spinKick()
    },
    spinKick(a: Int32Array, index: number): void {
      Atomics.notify(a, index);
    },
    pvKickSeq: () => Atomics.load(i32, cpuWord(rt.cpu, CPU_PV_KICK)),
    pvWait(a: Int32Array, index: number, value: number, seen: number): void {
      // This CPU halts (a spinlock is held with preemption off: no switch, so rt.cpu is stable).
      const cpu = rt.cpu;
      const kick = cpuWord(cpu, CPU_PV_KICK);
      // The kick count was read (pvKickSeq()) before the waiter published itself in the lock's
      // halted mask, then comes the lock word: pairs with the unlocker's exchange of the word, of
      // the mask, then pvKick()'s Atomics.add. A kick after the publication ends the wait at once.
      if (Atomics.load(a, index) !== value) return;
      Atomics.store(i32, cpuWord(cpu, CPU_PV_WAIT_SINCE), rt.jiffies());
      Atomics.store(i32, cpuWord(cpu, CPU_PV_WAIT_ADDR), index * 4 + 1);
      while (Atomics.load(i32, kick) === seen && Atomics.load(i32, HDR_MUST_STOP) === 0) {
        Atomics.wait(i32, kick, seen, PV_WAIT_SLICE_MS); // pairs with Atomics.add + notify in pvKick()
      }
      Atomics.store(i32, cpuWord(cpu, CPU_PV_WAIT_ADDR), 0);
    },
    pvKick(cpu: number): void {
      const kick = cpuWord(cpu, CPU_PV_KICK);
      Atomics.add(i32, kick, 1);
      Atomics.notify(i32, kick); // pairs with the Atomics.wait in pvWait()
    },
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
        rt.softirqsReenabled();
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
    preemptEnable(): void {
      if (rt.preemptCount > 0) rt.preemptCount--;
      if (i32[pend] !== 0) rt.takePendingInterrupts();
    },
    udelay: (us: number) => rt.delay(us),
    mdelay: (ms: number) => rt.delay(ms * 1000),
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
      if (i32[pend] !== 0) rt.takePendingInterrupts();
    },
    cpuOnline: (cpu: number) => cpuOnlineIn(i32, cpu),
    numOnlineCpus: () => numOnlineCpusIn(i32),
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
