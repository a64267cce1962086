/*
 * One CPU: a non-preemptive scheduler of tasks, its interrupt context, timers, softirqs, sleeps
 * and the hotplug park/unpark protocol. This is CONFIG_PREEMPT_NONE by construction: a task runs
 * until it awaits a kapi promise (schedule, a sleeping lock, a timeout); PREEMPT=y adds the
 * involuntary switches of preemptPoint().
 *
 * Sleeping and waking across CPUs. A sleeper sets its CPU's bit in the wait-queue word, then
 * re-checks its condition; a waker changes shared state, then reads the mask and rings the
 * doorbell of every CPU in it. Both sides use sequentially consistent Atomics, so either the
 * sleeper sees the new state or the waker sees the bit (the Dekker pairing of waitEvent() and
 * wakeUp()). A rung CPU re-evaluates the conditions of its sleepers. Nothing polls: a missing
 * wakeUp() in kernel code is a real lost wake-up, and the hang detector will report it.
 *
 * Hotplug. A CPU asked to park (CPU_CMD park) keeps running the tasks that hold locks or sit in
 * an RCU reader, and freezes every task that reaches a safe point. When nothing but frozen tasks
 * is left, it runs the AP teardown callbacks with irqs off, clears its online bit and sleeps on
 * its doorbell until unparked. Tasks never migrate (JS closures cannot move between threads):
 * a frozen task resumes when its CPU comes back. Timers of an offline CPU wait for it too.
 *
 * Not modelled: priorities, load balancing, CPU affinity changes.
 */

import { SOFTIRQ_BIT, type KernelConfig, type SchedHooks, type SoftirqNr, type TimerList, type WaitQueueHead } from '../kapi.js';
import {
  CPU_CMD,
  CPU_CMDS,
  CPU_CURR_PID,
  CPU_DOORBELL,
  CPU_HEARTBEAT,
  CPU_HEARTBEAT_J,
  CPU_HP_WQ,
  CPU_IDLE,
  CPU_ST,
  CPU_STATE,
  HDR_MUST_STOP,
  HDR_NEXT_PID,
  HDR_NEXT_TASK_SLOT,
  HDR_ONLINE_MASK,
  MAX_TASKS,
  cpuWord,
} from '../shm/layout.js';
import { Task } from './task.js';

export interface CpuEnv {
  readonly i32: Int32Array;
  readonly cpu: number;
  readonly config: KernelConfig;
  /** Boot time in performance.now() milliseconds (the same origin on every thread). */
  readonly bootMs: number;
  /** A task threw: print the Oops, fail the guest. */
  oops(err: unknown, where: string, fatal: boolean): void;
  /** Scheduling while atomic, sleeping in an RCU reader ...: report (kernel-shaped) and fail. */
  schedBug(kind: 'atomic' | 'rcu', task: Task): void;
  /** A task ended: lockdep checks for locks still held. */
  taskExit(task: Task): void;
}

class Timer implements TimerList {
  expires = 0;
  pending = false;
  readonly fn: () => void;
  constructor(fn: () => void) {
    this.fn = fn;
  }
}

/** Upper bound on one idle sleep, so that power-off and heartbeats are noticed. */
const IDLE_SLICE_MS = 100;

export class CpuRuntime {
  readonly id: number;
  readonly i32: Int32Array;
  readonly config: KernelConfig;
  readonly #env: CpuEnv;
  readonly #bootMs: number;
  readonly #doorbell: number;

  current: Task | null = null;
  /** Pseudo task that owns irq-context lock acquisitions (ksoftirqd/N). */
  readonly irqTask: Task;
  #runqueue: Task[] = [];
  #blocked: Task[] = [];
  #frozen: Task[] = [];
  #back: (() => void) | null = null;
  #selfPoll = false;
  #doorbellSeen = -1;
  #nextDeadline = Infinity;
  #externalSleepers = 0;
  #lastLoopYield = 0;

  #timers: Timer[] = [];
  #softirqPending = 0;
  #softirqHandlers = new Map<SoftirqNr, () => void>();
  #hooks: SchedHooks[] = [];
  #lastTickJ = -1;

  irqsOff = false;
  hardirqCount = 0;
  softirqCount = 0;
  bhCount = 0;
  preemptCount = 0;

  #dying = false;
  #dead = false;
  #poweredOff = false;
  #apTeardown: Array<{ name: string; fn: () => void }> = [];
  #apStartup: Array<{ name: string; fn: () => void }> = [];
  #heartbeat = 0;

  constructor(env: CpuEnv) {
    this.#env = env;
    this.id = env.cpu;
    this.i32 = env.i32;
    this.config = env.config;
    this.#bootMs = env.bootMs;
    this.#doorbell = cpuWord(env.cpu, CPU_DOORBELL);
    this.irqTask = new Task(env.i32, 0, `ksoftirqd/${env.cpu}`, env.cpu, -1, async () => {});
  }

  /* ---------------- time ---------------- */

  /** HZ is 1000 (kapi.ts): one jiffy per millisecond of performance.now(). */
  jiffies(): number {
    return Math.floor(performance.now() - this.#bootMs);
  }

  localClockNs(): number {
    return Math.floor((performance.now() - this.#bootMs) * 1e6);
  }

  /* ---------------- tasks ---------------- */

  kthreadRun(fn: () => Promise<void>, comm: string): Task {
    const pid = Atomics.add(this.i32, HDR_NEXT_PID, 1);
    const slot = Atomics.add(this.i32, HDR_NEXT_TASK_SLOT, 1);
    const t = new Task(this.i32, pid, comm, this.id, slot < MAX_TASKS ? slot : -1, fn);
    t.resume = () => {
      void this.#runTask(t);
    };
    this.#runqueue.push(t);
    return t;
  }

  async #runTask(t: Task): Promise<void> {
    try {
      await t.fn();
    } catch (err) {
      this.#env.oops(err, `${t.comm}/${t.pid}`, false);
    }
    t.state = 'exited';
    t.setSharedState('exited');
    if (t.lockDepth > 0) this.#env.taskExit(t);
    this.#switchBack();
  }

  /** The running task, or the irq pseudo task in interrupt context. */
  currentOrIrq(): Task {
    if (this.hardirqCount > 0 || this.softirqCount > 0 || this.current === null) return this.irqTask;
    return this.current;
  }

  /** Oops reporting for the boot path (outside any task). */
  oops(err: unknown, where: string, fatal: boolean): void {
    this.#env.oops(err, where, fatal);
  }

  #switchBack(): void {
    const back = this.#back;
    this.#back = null;
    this.current = null;
    back?.();
  }

  /** Park the running task on a promise and hand the CPU back to the scheduler loop. */
  #block(t: Task): Promise<void> {
    const p = new Promise<void>((r) => {
      t.resume = r;
    });
    this.#switchBack();
    return p;
  }

  #checkMaySleep(t: Task): void {
    if (this.irqsOff || this.preemptCount > 0 || this.hardirqCount > 0 || this.softirqCount > 0) this.#env.schedBug('atomic', t);
    else if (t.rcuDepth > 0) this.#env.schedBug('rcu', t);
  }

  #taskOrThrow(): Task {
    const t = this.current;
    if (t === null || this.hardirqCount > 0 || this.softirqCount > 0) {
      throw new Error('sleeping call outside task context');
    }
    return t;
  }

  schedule(): Promise<void> {
    const t = this.#taskOrThrow();
    this.#checkMaySleep(t);
    t.state = 'runnable';
    t.preempted = false;
    this.#runqueue.push(t);
    return this.#block(t);
  }

  preemptPoint(): Promise<void> | null {
    if (!this.config.preempt) return null;
    const t = this.current;
    if (t === null || this.preemptCount > 0 || this.irqsOff || this.hardirqCount > 0 || this.softirqCount > 0) return null;
    if (this.#runqueue.length === 0 && this.jiffies() === this.#lastTickJ && Atomics.load(this.i32, this.#doorbell) === this.#doorbellSeen) {
      return null;
    }
    t.state = 'runnable';
    t.preempted = true;
    this.#runqueue.push(t);
    return this.#block(t);
  }

  scheduleTimeout(j: number): Promise<void> {
    const t = this.#taskOrThrow();
    this.#checkMaySleep(t);
    return this.#sleep(t, null, null, this.jiffies() + Math.max(0, Math.ceil(j))).then(() => undefined);
  }

  async waitEvent(wq: WaitQueueHead, cond: () => boolean, timeoutJ?: number): Promise<boolean> {
    const t = this.#taskOrThrow();
    if (cond()) return true;
    this.#checkMaySleep(t);
    const bit = 1 << this.id;
    // Publish the sleeper, then re-check: pairs with the state change + Atomics.load of the
    // mask in wakeUp() on the waking CPU.
    Atomics.or(wq.i32, wq.index, bit);
    if (cond()) {
      this.#maybeClearWqBit(wq, null);
      return true;
    }
    const deadline = timeoutJ === undefined ? Infinity : this.jiffies() + Math.max(0, Math.ceil(timeoutJ));
    await this.#sleep(t, wq, cond, deadline);
    return t.waitResult;
  }

  #sleep(t: Task, wq: WaitQueueHead | null, cond: (() => boolean) | null, deadline: number): Promise<void> {
    t.state = 'blocked';
    t.setSharedState('blocked');
    t.waitWq = wq;
    t.waitCond = cond;
    t.deadline = deadline;
    t.waitResult = true;
    t.preempted = false;
    if (deadline < this.#nextDeadline) this.#nextDeadline = deadline;
    this.#blocked.push(t);
    return this.#block(t);
  }

  async sleepOn<T>(p: Promise<T>): Promise<T> {
    const t = this.#taskOrThrow();
    let settled = false;
    let value: T | undefined;
    let error: unknown;
    let failed = false;
    p.then(
      (v) => {
        value = v;
        settled = true;
        this.#externalDone();
      },
      (e: unknown) => {
        error = e;
        failed = true;
        settled = true;
        this.#externalDone();
      },
    );
    // Give an already-settled promise its microtask turn before deciding to sleep.
    await null;
    if (!settled) {
      t.external = true;
      this.#externalSleepers++;
      await this.#sleep(t, null, () => settled, Infinity);
      t.external = false;
      this.#externalSleepers--;
    }
    if (failed) throw error;
    return value as T;
  }

  #externalDone(): void {
    this.#selfPoll = true;
    // Wake our own idle waitAsync; pairs with the waitAsync in #idle().
    Atomics.add(this.i32, this.#doorbell, 1);
    Atomics.notify(this.i32, this.#doorbell, 1);
  }

  wakeUp(wq: WaitQueueHead): void {
    // Pairs with Atomics.or in waitEvent(): the caller's state change is ordered before this load.
    const mask = Atomics.load(wq.i32, wq.index);
    if (mask === 0) return;
    for (let cpu = 0, m = mask; m !== 0; cpu++, m >>>= 1) {
      if ((m & 1) === 0) continue;
      if (cpu === this.id) this.#selfPoll = true;
      else ringCpu(this.i32, cpu);
    }
  }

  #maybeClearWqBit(wq: WaitQueueHead, except: Task | null): void {
    for (const o of this.#blocked) {
      if (o !== except && o.waitWq !== null && o.waitWq.i32 === wq.i32 && o.waitWq.index === wq.index) return;
    }
    Atomics.and(wq.i32, wq.index, ~(1 << this.id));
  }

  /** Re-evaluate sleepers: conditions (after a ring) and deadlines. */
  #pollSleepers(force: boolean): void {
    const now = this.jiffies();
    if (!force && now < this.#nextDeadline) return;
    let next = Infinity;
    const still: Task[] = [];
    const woken: Task[] = [];
    for (const t of this.#blocked) {
      let wake = false;
      if (t.waitCond !== null && t.waitCond()) {
        wake = true;
        t.waitResult = true;
      } else if (now >= t.deadline) {
        wake = true;
        t.waitResult = t.waitCond === null;
      }
      if (wake) woken.push(t);
      else {
        still.push(t);
        if (t.deadline < next) next = t.deadline;
      }
    }
    if (woken.length === 0) {
      this.#nextDeadline = next;
      return;
    }
    this.#blocked = still;
    this.#nextDeadline = next;
    for (const t of woken) {
      const wq = t.waitWq;
      t.waitWq = null;
      t.waitCond = null;
      t.deadline = Infinity;
      if (wq !== null) this.#maybeClearWqBit(wq, null);
      t.state = 'runnable';
      t.setSharedState('runnable');
      this.#runqueue.push(t);
    }
  }

  /* ---------------- interrupts, timers, softirqs ---------------- */

  registerSchedHooks(h: SchedHooks): void {
    this.#hooks.push(h);
  }

  openSoftirq(nr: SoftirqNr, handler: () => void): void {
    this.#softirqHandlers.set(nr, handler);
  }

  raiseSoftirq(nr: SoftirqNr): void {
    this.#softirqPending |= SOFTIRQ_BIT[nr];
  }

  timerSetup(fn: () => void): TimerList {
    return new Timer(fn);
  }

  modTimer(t: TimerList, expires: number): void {
    const timer = t as Timer;
    timer.expires = expires;
    if (!timer.pending) {
      timer.pending = true;
      this.#timers.push(timer);
    }
  }

  delTimer(t: TimerList): boolean {
    const timer = t as Timer;
    if (!timer.pending) return false;
    timer.pending = false;
    const i = this.#timers.indexOf(timer);
    if (i >= 0) this.#timers.splice(i, 1);
    return true;
  }

  #nextTimer(): number {
    let next = Infinity;
    for (const t of this.#timers) if (t.expires < next) next = t.expires;
    return next;
  }

  /** Scheduler tick (hardirq) once per jiffy, then pending softirqs. Runs between tasks. */
  #interrupts(): void {
    const j = this.jiffies();
    if (j !== this.#lastTickJ) {
      this.#lastTickJ = j;
      this.hardirqCount++;
      try {
        for (const h of this.#hooks) h.tick?.();
      } catch (err) {
        this.#env.oops(err, 'scheduler_tick', true);
      } finally {
        this.hardirqCount--;
      }
      for (const t of this.#timers) {
        if (t.expires <= j) {
          this.#softirqPending |= SOFTIRQ_BIT.TIMER_SOFTIRQ;
          break;
        }
      }
    }
    if (this.#softirqPending !== 0) this.#doSoftirq();
  }

  #doSoftirq(): void {
    this.softirqCount++;
    try {
      for (let rounds = 0; this.#softirqPending !== 0 && rounds < 10; rounds++) {
        const pending = this.#softirqPending;
        this.#softirqPending = 0;
        if (pending & SOFTIRQ_BIT.TIMER_SOFTIRQ) this.#runTimers();
        if (pending & SOFTIRQ_BIT.RCU_SOFTIRQ) this.#softirqHandlers.get('RCU_SOFTIRQ')?.();
      }
    } catch (err) {
      this.#env.oops(err, 'softirq', true);
    } finally {
      this.softirqCount--;
    }
  }

  #runTimers(): void {
    const j = this.jiffies();
    const due = this.#timers.filter((t) => t.expires <= j);
    if (due.length === 0) return;
    this.#timers = this.#timers.filter((t) => t.expires > j);
    for (const t of due) {
      t.pending = false;
      t.fn();
    }
  }

  /* ---------------- hotplug ---------------- */

  registerApCallbacks(name: string, teardown: (() => void) | null, startup: (() => void) | null): void {
    if (teardown) this.#apTeardown.push({ name, fn: teardown });
    if (startup) this.#apStartup.push({ name, fn: startup });
  }

  get dead(): boolean {
    return this.#dead;
  }

  #handleCommand(): void {
    const slot = cpuWord(this.id, CPU_CMD);
    const cmd = Atomics.load(this.i32, slot);
    if (cmd === CPU_CMDS.none) return;
    if (cmd === CPU_CMDS.park && !this.#dead && !this.#dying) {
      this.#dying = true;
      Atomics.store(this.i32, cpuWord(this.id, CPU_STATE), CPU_ST.dying);
    } else if (cmd === CPU_CMDS.unpark && this.#dead) {
      Atomics.store(this.i32, slot, CPU_CMDS.none);
      this.#unpark();
    }
  }

  #canPark(): boolean {
    if (this.#runqueue.length > 0 || this.current !== null) return false;
    for (const t of this.#blocked) if (!t.atSafePoint) return false;
    return true;
  }

  #park(): void {
    this.irqsOff = true;
    try {
      // AP teardown callbacks run in reverse registration (state) order, on this CPU.
      for (let k = this.#apTeardown.length - 1; k >= 0; k--) this.#apTeardown[k]?.fn();
    } catch (err) {
      this.#env.oops(err, 'cpuhp_ap_teardown', true);
    } finally {
      this.irqsOff = false;
    }
    this.#dying = false;
    this.#dead = true;
    Atomics.and(this.i32, HDR_ONLINE_MASK, ~(1 << this.id));
    Atomics.store(this.i32, cpuWord(this.id, CPU_CMD), CPU_CMDS.none);
    // State store, then wake the control CPU sleeping on our CPU_HP_WQ (pairs with parkCpu()'s
    // waitEvent condition load).
    Atomics.store(this.i32, cpuWord(this.id, CPU_STATE), CPU_ST.dead);
    this.wakeUp({ i32: this.i32, index: cpuWord(this.id, CPU_HP_WQ) });
  }

  #unpark(): void {
    this.irqsOff = true;
    try {
      for (const cb of this.#apStartup) cb.fn();
    } catch (err) {
      this.#env.oops(err, 'cpuhp_ap_startup', true);
    } finally {
      this.irqsOff = false;
    }
    this.#dead = false;
    Atomics.or(this.i32, HDR_ONLINE_MASK, 1 << this.id);
    for (const t of this.#frozen) {
      t.setSharedState('runnable');
      this.#runqueue.push(t);
    }
    this.#frozen = [];
    this.#selfPoll = true;
    Atomics.store(this.i32, cpuWord(this.id, CPU_STATE), CPU_ST.online);
    this.wakeUp({ i32: this.i32, index: cpuWord(this.id, CPU_HP_WQ) });
  }

  /* ---------------- the loop ---------------- */

  #pickNext(): Task | null {
    while (this.#runqueue.length > 0) {
      const t = this.#runqueue.shift() as Task;
      if (this.#dying && t.atSafePoint) {
        t.setSharedState('frozen');
        this.#frozen.push(t);
        continue;
      }
      return t;
    }
    return null;
  }

  async #switchTo(t: Task): Promise<void> {
    this.current = t;
    t.state = 'running';
    t.setSharedState('running');
    Atomics.store(this.i32, cpuWord(this.id, CPU_CURR_PID), t.pid);
    const back = new Promise<void>((r) => {
      this.#back = r;
    });
    const resume = t.resume;
    t.resume = null;
    resume?.();
    await back;
    Atomics.store(this.i32, cpuWord(this.id, CPU_CURR_PID), 0);
    if ((t.state as string) !== 'exited') {
      for (const h of this.#hooks) h.contextSwitch?.(t, t.rcuDepth, t.preempted);
    } else {
      for (const h of this.#hooks) h.contextSwitch?.(t, 0, false);
    }
  }

  powerOff(): void {
    this.#poweredOff = true;
    Atomics.store(this.i32, HDR_MUST_STOP, 1);
  }

  mustStop(): boolean {
    return Atomics.load(this.i32, HDR_MUST_STOP) !== 0;
  }

  /** Run until power-off. Resolves when the CPU stops. */
  async run(stopped: () => boolean): Promise<void> {
    const i32 = this.i32;
    const hbWord = cpuWord(this.id, CPU_HEARTBEAT);
    const hbJWord = cpuWord(this.id, CPU_HEARTBEAT_J);
    for (;;) {
      if (this.#poweredOff || stopped()) return;
      i32[hbWord] = ++this.#heartbeat;
      if ((this.#heartbeat & 63) === 0) Atomics.store(i32, hbJWord, this.jiffies());
      this.#handleCommand();
      if (this.#dead) {
        Atomics.store(i32, hbJWord, this.jiffies());
        const seen = Atomics.load(i32, this.#doorbell);
        if (Atomics.load(i32, cpuWord(this.id, CPU_CMD)) === CPU_CMDS.none) Atomics.wait(i32, this.#doorbell, seen, IDLE_SLICE_MS);
        continue;
      }
      const bell = Atomics.load(i32, this.#doorbell);
      const rung = bell !== this.#doorbellSeen || this.#selfPoll;
      this.#doorbellSeen = bell;
      this.#selfPoll = false;
      this.#interrupts();
      if (this.#externalSleepers > 0 && performance.now() - this.#lastLoopYield > 1) {
        // A foreign promise (a user's sleeping lock) settles only when this worker's event
        // loop turns; a CPU that never idles must still let it turn.
        await new Promise<void>((r) => setImmediate(r));
        this.#lastLoopYield = performance.now();
      }
      this.#pollSleepers(rung || this.#selfPoll);
      const t = this.#pickNext();
      if (t !== null) {
        await this.#switchTo(t);
        continue;
      }
      if (this.#dying && this.#canPark()) {
        this.#park();
        continue;
      }
      await this.#idle(bell);
    }
  }

  async #idle(seen: number): Promise<void> {
    const now = this.jiffies();
    const next = Math.min(this.#nextDeadline, this.#nextTimer());
    const timeout = Math.max(0, Math.min(IDLE_SLICE_MS, next === Infinity ? IDLE_SLICE_MS : next - now));
    if (this.#selfPoll || this.#softirqPending !== 0) return;
    Atomics.store(this.i32, cpuWord(this.id, CPU_IDLE), 1);
    for (const h of this.#hooks) h.idleEnter?.();
    if (this.#externalSleepers > 0) {
      // A foreign promise (user lock) settles only on the event loop: wait asynchronously.
      const r = Atomics.waitAsync(this.i32, this.#doorbell, seen, timeout);
      if (r.async) await r.value;
    } else if (timeout > 0) {
      // Pairs with ringCpu()'s Atomics.add + notify on our doorbell.
      Atomics.wait(this.i32, this.#doorbell, seen, timeout);
    }
    for (const h of this.#hooks) h.idleExit?.();
    Atomics.store(this.i32, cpuWord(this.id, CPU_IDLE), 0);
    // Let the event loop breathe now and then (message flushing, waitAsync settlements).
    if (this.#externalSleepers > 0) await new Promise<void>((r) => setImmediate(r));
  }
}

/** Ring a CPU's doorbell: it re-checks its sleepers and commands. Any thread. */
export function ringCpu(i32: Int32Array, cpu: number): void {
  const w = cpuWord(cpu, CPU_DOORBELL);
  Atomics.add(i32, w, 1);
  Atomics.notify(i32, w, 1); // pairs with the waits in CpuRuntime.#idle() and run()
}
