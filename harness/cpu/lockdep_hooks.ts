/*
 * kapi.lockdep of one CPU: the lockdep hooks the lock primitives call on every operation. They
 * always keep the runtime's own per-task held-lock mirror (the hang detector needs it, and it
 * costs a counter and a store); they forward to the validator only when one is installed
 * (CONFIG_PROVE_LOCKING=y), decided once at CPU start. Its own module because it is the lock
 * fast path: what it costs is measured by the bench's `.uncontended` rows.
 */

import type { LockdepHooks, LockdepMap, LockRead } from '../kapi.js';
import { IRQ_BH_OFF, IRQ_HARDIRQ, IRQ_IRQS_OFF, IRQ_SOFTIRQ } from '../lockdep/usage.js';
import type { CpuRuntime } from './cpu_runtime.js';
import type { Task } from './task.js';

/** The validator as the runtime uses it (harness/lockdep provides it). */
export interface LockdepValidator extends LockdepHooks {
  sync(map: LockdepMap): void;
  taskExit(task: Task): void;
  /** lockdep_hardirqs_on(): irqs were re-enabled; held locks become hardirq-unsafe. */
  hardirqsOn(): void;
  /** lockdep_softirqs_on(): bottom halves were re-enabled. */
  softirqsOn(): void;
  /** debug_show_held_locks(current). */
  showHeldLocks(): string[];
  /**
   * acquire() for `task` and the irq state `irq` (IRQ_* bits of harness/lockdep/usage.ts), the
   * env's current() and irqBits() the hook already read (lockdepIrqBits()).
   */
  acquireIrq(task: Task, irq: number, map: LockdepMap, subclass: number, trylock: boolean, read: LockRead, nestLock: LockdepMap | null): void;
  /** release() for `task`, the env's current() the hook already looked up. */
  releaseFor(task: Task, map: LockdepMap): void;
}

/**
 * The irq state of a lock acquisition as lockdep's IRQ_* bits (usage.ts): the validator env's
 * irqBits (lockdep_wiring.ts) and the hook below, one definition. The model has no threaded
 * hardirq handlers, so IRQ_THREADED is never set (modelling them means setting it here, or a
 * repeat acquisition would skip check_wait_context(): harness/lockdep/acquire_hit.ts).
 */
export function lockdepIrqBits(rt: CpuRuntime): number {
  return (rt.softirqCount > 0 ? IRQ_SOFTIRQ : 0) | (rt.hardirqCount > 0 ? IRQ_HARDIRQ : 0) | (rt.irqsOff ? IRQ_IRQS_OFF : 0) | (rt.bhCount > 0 ? IRQ_BH_OFF : 0);
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
      checkNoLocksFreed(): void {},
      rcuSuspicious(): void {},
    };
  }
  return new ValidatorHooks(rt, v);
}

/**
 * The hooks with a validator, as a class: `enabled` must be a live getter (debug_locks goes off
 * at the first report), and a getter in an object literal makes V8 keep the literal in a slow
 * mode where every `kapi.lockdep.acquire` load cost about 10 ns per lock+unlock pair (measured);
 * on a class the getter lives on the prototype and the instance stays a fast object.
 */
class ValidatorHooks implements LockdepHooks {
  private readonly rt: CpuRuntime;
  private readonly v: LockdepValidator;
  private readonly i32: Int32Array;
  private readonly pend: number;

  constructor(rt: CpuRuntime, v: LockdepValidator) {
    this.rt = rt;
    this.v = v;
    this.i32 = rt.i32;
    this.pend = rt.irqPendingWord;
  }

  get enabled(): boolean {
    return this.v.enabled;
  }

  acquire(map: LockdepMap, subclass: number, trylock: boolean, read: LockRead, nestLock: LockdepMap | null): void {
    // One current-task look-up serves the validator and the runtime's held-lock mirror, and the
    // irq bits are read in the same function, so V8 loads the runtime's irq counters once.
    const rt = this.rt;
    const t = rt.currentOrIrq();
    this.v.acquireIrq(t, lockdepIrqBits(rt), map, subclass, trylock, read, nestLock);
    t.noteAcquire(map.addr);
    // The pending-interrupt test of makeLockdepHooks() (a plain load: see there).
    if (this.i32[this.pend] !== 0) this.rt.takePendingInterrupts();
  }

  sync(map: LockdepMap): void {
    this.v.sync(map);
    if (this.i32[this.pend] !== 0) this.rt.takePendingInterrupts();
  }

  release(map: LockdepMap): void {
    const t = this.rt.currentOrIrq();
    this.v.releaseFor(t, map);
    t.noteRelease(map.addr);
    if (this.i32[this.pend] !== 0) this.rt.takePendingInterrupts();
  }

  contended(map: LockdepMap): void {
    this.rt.currentOrIrq().noteWait(map.addr, this.rt.jiffies());
    this.v.contended(map);
  }

  acquired(map: LockdepMap): void {
    this.rt.currentOrIrq().noteWaitDone();
    this.v.acquired(map);
  }

  assertHeld(map: LockdepMap): void {
    this.v.assertHeld(map);
  }

  isHeld(map: LockdepMap): boolean {
    return this.v.isHeld(map);
  }

  checkNoLocksFreed(from: number, len: number): void {
    this.v.checkNoLocksFreed(from, len);
  }

  rcuSuspicious(file: string, line: number, msg: string): void {
    this.v.rcuSuspicious(file, line, msg);
  }

  debugLocksOff(): boolean {
    return this.v.debugLocksOff?.() ?? false;
  }
}

/** kapi.rcuReadLockAcquire() and kapi.rcuReadUnlockRelease() of one CPU (harness/kapi.ts). */
export interface RcuReaderOps {
  readonly lock: (map: LockdepMap) => void;
  readonly unlock: (map: LockdepMap) => number;
}

/**
 * rcu_read_lock()/rcu_read_unlock()'s nesting and lock_acquire()/lock_release() of rcu_lock_map in
 * one call each, with one current-task look-up for the nesting, the held-lock mirror and the
 * validator (three before: the nesting's read, the hook, the nesting's update). `hooks` are
 * makeLockdepHooks(rt, v)'s when `direct`; else something stands in front of them (lock_stat),
 * which the calls then go through. The interrupt points stay those of the hook and of
 * rcuReadDepthAdd(): after the acquire and after the nesting's update (and after the release and
 * after it). An interrupt runs synchronously on the irq pseudo task and returns to the same
 * current task, so the task looked up once is still current after it.
 *
 * Three variants chosen once per CPU, each the hook bodies it stands for written out (lock_stat in
 * front, lockdep off, the validator), rather than one with a test of `v` per call: the lockdep-off
 * reader is the bench's base for the on/off pair and pays nothing for the validator it lacks, and
 * each body stays small enough for V8 to inline into rcu_read_lock() (harness/cpu/README.md,
 * "Lockdep on vs off, third pass").
 */
export function makeRcuReaderOps(rt: CpuRuntime, hooks: LockdepHooks, v: LockdepValidator | null, direct: boolean): RcuReaderOps {
  const i32 = rt.i32;
  const pend = rt.irqPendingWord;
  if (!direct) {
    return {
      lock(map: LockdepMap): void {
        const t = rt.currentOrIrq();
        if (t.rcuDepth === 0) hooks.acquire(map, 0, false, 2, null);
        t.rcuDepth++;
        if (i32[pend] !== 0) rt.takePendingInterrupts();
      },
      unlock(map: LockdepMap): number {
        const t = rt.currentOrIrq();
        if (t.rcuDepth === 1) hooks.release(map);
        const n = --t.rcuDepth;
        if (i32[pend] !== 0) rt.takePendingInterrupts();
        return n;
      },
    };
  }
  if (v === null) {
    return {
      lock(map: LockdepMap): void {
        const t = rt.currentOrIrq();
        if (t.rcuDepth === 0) {
          t.noteAcquire(map.addr);
          if (i32[pend] !== 0) rt.takePendingInterrupts();
        }
        t.rcuDepth++;
        if (i32[pend] !== 0) rt.takePendingInterrupts();
      },
      unlock(map: LockdepMap): number {
        const t = rt.currentOrIrq();
        if (t.rcuDepth === 1) {
          t.noteRelease(map.addr);
          if (i32[pend] !== 0) rt.takePendingInterrupts();
        }
        const n = --t.rcuDepth;
        if (i32[pend] !== 0) rt.takePendingInterrupts();
        return n;
      },
    };
  }
  return {
    lock(map: LockdepMap): void {
      const t = rt.currentOrIrq();
      if (t.rcuDepth === 0) {
        // ValidatorHooks.acquire(map, 0, false, 2, null) with the task already looked up.
        v.acquireIrq(t, lockdepIrqBits(rt), map, 0, false, 2, null);
        t.noteAcquire(map.addr);
        if (i32[pend] !== 0) rt.takePendingInterrupts();
      }
      t.rcuDepth++;
      if (i32[pend] !== 0) rt.takePendingInterrupts();
    },
    unlock(map: LockdepMap): number {
      const t = rt.currentOrIrq();
      if (t.rcuDepth === 1) {
        v.releaseFor(t, map);
        t.noteRelease(map.addr);
        if (i32[pend] !== 0) rt.takePendingInterrupts();
      }
      const n = --t.rcuDepth;
      if (i32[pend] !== 0) rt.takePendingInterrupts();
      return n;
    },
  };
}
