/*
 * An executor's sleeping tasks and what wakes them: wait_event(), wake_up(),
 * wake_up_process(), schedule_timeout(), sleeps on a foreign promise, IPIs, and try_to_wake_up()
 * for the sleepers after a ring of the doorbell. harness/cpu/README.md ("Waiting and waking")
 * gives the lost-wake-up argument; the Atomics pairings are named where they are. Its own class
 * because it owns the blocked list and what the idle loop needs of it (the next deadline, the
 * sleepers on foreign promises); the runqueue the woken go to is the runtime's.
 */

import type { WaitQueueHead } from '../kapi.js';
import {
  CPU_TOKEN_HOLDER,
  HDR_NR_CPUS,
  HDR_WAKE_SEQ_BASE,
  TASK_EXECUTOR,
  TASK_WAKE_SEQ,
  cpuOnlineIn,
  cpuWord,
  taskSlotOfPid,
  taskWord,
  wqMaskWord,
} from '../shm/layout.js';
import type { Executor } from './executor.js';
import { notifyBurst, ringCpu, ringNoNotify } from './doorbell.js';
import type { Task } from './task.js';

/** Frames kept of a sleeper's stack (the kernel chain under the harness frames). */
const SLEEP_STACK_LIMIT = 40;

export class Sleepers {
  readonly #rt: Executor;
  readonly #i32: Int32Array;
  /** The executor's index (rt.id), kept here for the wake-up loop. */
  readonly #id: number;
  /** Word 0 of the wake-sequence plane: a wait queue's sequence is at #seqBase + wq.index. */
  readonly #seqBase: number;
  /** This executor's bit in its word of a wait queue's mask (wqMaskWord()). */
  readonly #wqBit: number;
  /** Words of a wait queue's CPU mask in this guest: ceil(nr_cpus / 32). */
  readonly #maskWords: number;
  #blocked: Task[] = [];
  /** The earliest deadline of a sleeper (jiffies), Infinity for none. */
  nextDeadline = Infinity;
  /** Tasks asleep on a foreign promise: the idle loop must let the event loop turn. */
  externalSleepers = 0;

  constructor(rt: Executor) {
    this.#rt = rt;
    this.#i32 = rt.i32;
    this.#id = rt.id;
    this.#seqBase = Atomics.load(rt.i32, HDR_WAKE_SEQ_BASE);
    this.#wqBit = 1 << (rt.id & 31);
    this.#maskWords = Math.ceil(Math.max(1, Atomics.load(rt.i32, HDR_NR_CPUS)) / 32);
  }

  /** The tasks asleep on this executor (khungtaskd reads them). */
  get blocked(): readonly Task[] {
    return this.#blocked;
  }

  scheduleTimeout(j: number): Promise<void> {
    const rt = this.#rt;
    const t = rt.taskOrThrow();
    rt.checkMaySleep(t);
    return this.#sleepUntil(t, rt.jiffies() + Math.max(0, Math.ceil(j)));
  }

  /** At least until `deadline` (msleep()'s loop: an early wake_up_process() sleeps again). */
  async #sleepUntil(t: Task, deadline: number): Promise<void> {
    do {
      await this.#sleep(t, null, 0, deadline, true);
      this.#afterWake(t);
    } while (this.#rt.jiffies() < deadline);
  }

  /** wait_event() / wait_event_timeout(): TASK_UNINTERRUPTIBLE, watched by khungtaskd. */
  waitEvent(wq: WaitQueueHead, cond: () => boolean, timeoutJ?: number): Promise<boolean> {
    return this.#waitEvent(wq, cond, timeoutJ, true);
  }

  /** wait_event_interruptible() / wait_event_idle(): not a hung-task candidate. */
  waitEventInterruptible(wq: WaitQueueHead, cond: () => boolean, timeoutJ?: number): Promise<boolean> {
    return this.#waitEvent(wq, cond, timeoutJ, false);
  }

  async #waitEvent(wq: WaitQueueHead, cond: () => boolean, timeoutJ: number | undefined, uninterruptible: boolean): Promise<boolean> {
    const rt = this.#rt;
    const t = rt.taskOrThrow();
    if (cond()) return true;
    rt.checkMaySleep(t);
    const bit = this.#wqBit;
    const maskWord = wqMaskWord(wq.index, rt.id, this.#seqBase);
    const seqWord = this.#seqBase + wq.index;
    const deadline = timeoutJ === undefined ? Infinity : rt.jiffies() + Math.max(0, Math.ceil(timeoutJ));
    for (;;) {
      // prepare_to_wait(): publish the sleeper, read the wake sequence, then re-check. Pairs with
      // the state change, then Atomics.add of the sequence and load of the mask in wakeUp().
      Atomics.or(wq.i32, maskWord, bit);
      const seq = Atomics.load(this.#i32, seqWord);
      if (cond()) {
        this.#maybeClearWqBit(wq);
        return true;
      }
      if (rt.jiffies() >= deadline) {
        this.#maybeClearWqBit(wq);
        return false;
      }
      await this.#sleep(t, wq, seq, deadline, uninterruptible);
      // A khungtaskd probe is no wake-up: sleep again on the same sequence, without a re-check.
      while (this.#afterWake(t)) {
        Atomics.or(wq.i32, maskWord, bit);
        await this.#sleep(t, wq, seq, deadline, uninterruptible);
      }
      // Woken by wq's wake-up or by the timeout; wait_event() re-checks, as the kernel's loop.
      if (t.timedOut) return cond();
    }
  }

  /**
   * Put `t` to sleep. TASK_UNINTERRUPTIBLE sleeps are khungtaskd's: when one is found hung, the
   * CPU wakes it once with `stackProbe` set, only so that it records its stack (#afterWake(): V8
   * keeps the async call chain of a suspended task only for code running inside it); every
   * caller loops, so it goes back to sleep at once, keeping its start time.
   */
  #sleep(t: Task, wq: WaitQueueHead | null, seq: number, deadline: number, uninterruptible: boolean): Promise<void> {
    const state = uninterruptible ? 'blocked' : 'sleeping';
    t.state = state;
    t.setSharedState(state);
    // The jiffy of the last tick is close enough for khungtaskd (seconds) and costs no clock read.
    if (t.keepSleepSince) t.keepSleepSince = false;
    else t.noteSleep(this.#rt.irqs.lastTickJ);
    t.uninterruptible = uninterruptible;
    t.waitWq = wq;
    t.waitSeq = seq;
    t.deadline = deadline;
    t.timedOut = false;
    t.preempted = false;
    if (deadline < this.nextDeadline) this.nextDeadline = deadline;
    this.#blocked.push(t);
    return this.#rt.block(t);
  }

  /** After any wake-up: a khungtaskd probe records the stack here; the caller's loop sleeps again. */
  #afterWake(t: Task): boolean {
    if (!t.stackProbe) return false;
    t.stackProbe = false;
    const saved = Error.stackTraceLimit;
    Error.stackTraceLimit = SLEEP_STACK_LIMIT;
    t.sleepSite = new Error('sleep');
    Error.stackTraceLimit = saved;
    t.keepSleepSince = true;
    // A wake-up that came while we were out is seen at the next pass.
    this.#rt.selfPoll = true;
    return true;
  }

  /** khungtaskd's probe: wake `hung` (asleep here) once so that each records its stack (#sleep()). */
  probe(hung: readonly Task[]): void {
    this.#blocked = this.#blocked.filter((t) => !hung.includes(t));
    for (const t of hung) {
      t.stackProbe = true;
      t.sleepSiteJ = t.sleepSinceJ;
      t.state = 'runnable';
      this.#rt.runqueue.push(t);
    }
  }

  async sleepOn<T>(p: Promise<T>): Promise<T> {
    const t = this.#rt.taskOrThrow();
    let value: T | undefined;
    let error: unknown;
    let failed = false;
    let settled = false;
    p.then(
      (v) => {
        value = v;
        settled = true;
        this.#externalDone(t);
      },
      (e: unknown) => {
        error = e;
        failed = true;
        settled = true;
        this.#externalDone(t);
      },
    );
    // Give an already-settled promise its microtask turn before deciding to sleep.
    await null;
    if (!settled) {
      t.external = true;
      t.externalSettled = false;
      this.externalSleepers++;
      // Only the settlement ends this sleep: a wake_up_process() meanwhile is spurious here.
      while (!settled) {
        await this.#sleep(t, null, 0, Infinity, true);
        this.#afterWake(t);
      }
      t.external = false;
      this.externalSleepers--;
    }
    if (failed) throw error;
    return value as T;
  }

  #externalDone(t: Task): void {
    // The promise's settlement is the wake-up of exactly this task.
    t.externalSettled = true;
    this.#rt.selfPoll = true;
    // Wake our own idle waitAsync; pairs with doorbellHaltAsync() in CpuRuntime's #idle().
    ringCpu(this.#i32, this.#id);
  }

  wakeUp(wq: WaitQueueHead): void {
    // Bump the sequence, then load the mask: pairs with Atomics.or + sequence load in
    // #waitEvent(). The caller's state change is ordered before both.
    Atomics.add(this.#i32, this.#seqBase + wq.index, 1);
    // One word per 32 CPUs (wqMaskWord()); a guest of up to 32 CPUs loads only the head.
    for (let k = 0; k < this.#maskWords; k++) {
      const mask = Atomics.load(wq.i32, k === 0 ? wq.index : this.#seqBase * (k + 1) + wq.index);
      // Every ring of the word first, then the notifies they found owed: one, the others left to
      // the executor it wakes (doorbell.ts, notifyBurst()).
      let owed = 0;
      for (let bit = 0, m = mask; m !== 0; bit++, m >>>= 1) {
        if ((m & 1) === 0) continue;
        const cpu = k * 32 + bit;
        if (cpu === this.#id) this.#rt.selfPoll = true;
        else if (ringNoNotify(this.#i32, cpu)) owed |= 1 << bit;
      }
      if (owed !== 0) notifyBurst(this.#i32, k, owed);
    }
  }

  /**
   * wake_up_process(pid): wake that task out of whatever sleep it is in (it re-checks its
   * condition, as after any wake-up). Any CPU; the kernel's kthread_stop() does this. Bump the
   * task's wake count, then ring its CPU: pairs with the count read when the task went to sleep.
   */
  wakeUpProcess(pid: number): void {
    const s = taskSlotOfPid(this.#i32, pid);
    if (s < 0) return;
    Atomics.add(this.#i32, taskWord(s, TASK_WAKE_SEQ), 1);
    this.#ringExecutor(Atomics.load(this.#i32, taskWord(s, TASK_EXECUTOR)));
  }

  /**
   * Ask that a wake-up of `wq` be an IPI to this CPU: the bit of the CPU's home executor (which
   * holds the token when the CPU is idle, or takes it), not ours, since it is the CPU's work
   * (its callbacks) that wants the ring.
   */
  waitQueueIpi(wq: WaitQueueHead, on: boolean): void {
    const cpu = this.#rt.cpu >= 0 ? this.#rt.cpu : this.#id;
    const w = wqMaskWord(wq.index, cpu, this.#seqBase);
    const bit = 1 << (cpu & 31);
    // Pairs with the mask loads in wakeUp(), as a sleeper's bit does.
    if (on) Atomics.or(wq.i32, w, bit);
    else Atomics.and(wq.i32, w, ~bit);
  }

  /** An IPI to `cpu`: ring the executor holding its token, or its home executor when it is free. */
  sendIpi(cpu: number): void {
    if (cpu === this.#rt.cpu) {
      this.#rt.selfPoll = true;
      return;
    }
    const h = Atomics.load(this.#i32, cpuWord(cpu, CPU_TOKEN_HOLDER));
    this.#ringExecutor(h > 0 ? h - 1 : cpu);
  }

  #ringExecutor(e: number): void {
    if (e === this.#id) this.#rt.selfPoll = true;
    else ringCpu(this.#i32, e);
  }

  #maybeClearWqBit(wq: WaitQueueHead): void {
    for (const o of this.#blocked) {
      if (o.waitWq !== null && o.waitWq.i32 === wq.i32 && o.waitWq.index === wq.index) return;
    }
    Atomics.and(wq.i32, wqMaskWord(wq.index, this.#id, this.#seqBase), ~this.#wqBit);
  }

  /**
   * try_to_wake_up() for this CPU's sleepers: after a ring, wake those whose wait queue's
   * sequence moved (or whose foreign promise settled); at any pass, those whose timeout expired.
   * Nobody else is woken, and no condition is evaluated here.
   */
  wakeSleepers(rung: boolean): void {
    const rt = this.#rt;
    const now = rt.jiffies();
    if (!rung && now < this.nextDeadline) return;
    const i32 = this.#i32;
    let next = Infinity;
    let woken: Task[] | null = null;
    const still: Task[] = [];
    for (const t of this.#blocked) {
      let wake = false;
      if (rung && ((t.waitWq !== null && Atomics.load(i32, this.#seqBase + t.waitWq.index) !== t.waitSeq) || (t.external && t.externalSettled) || t.wokenAsProcess)) {
        wake = true;
      } else if (now >= t.deadline) {
        wake = true;
        t.timedOut = true;
      }
      if (wake) (woken ??= []).push(t);
      else {
        still.push(t);
        if (t.deadline < next) next = t.deadline;
      }
    }
    this.nextDeadline = next;
    if (woken === null) return;
    this.#blocked = still;
    for (const t of woken) {
      const wq = t.waitWq;
      t.waitWq = null;
      t.deadline = Infinity;
      if (wq !== null) this.#maybeClearWqBit(wq);
      t.state = 'runnable';
      if (t.bound >= 0 && !cpuOnlineIn(i32, t.bound)) {
        rt.hotplug.freeze(t); // kthread_park(): it runs when its CPU is back
        continue;
      }
      t.setSharedState('runnable');
      rt.runqueue.push(t);
    }
  }
}
