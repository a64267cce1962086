/*
 * One CPU: a scheduler of tasks, its interrupt context, timers, softirqs, sleeps and the hotplug
 * park/unpark protocol. This is CONFIG_PREEMPT_NONE by construction: a task runs until it awaits
 * a kapi promise (schedule, a sleeping lock, a timeout); PREEMPT=y adds the involuntary switches
 * of preemptPoint().
 *
 * How waiting works. A wait queue is a word in guest shared memory holding the mask of CPUs with
 * a sleeper on it (CPUs 0-31; each further 32 CPUs have their word at the head's index in one
 * more wait-mask plane); its twin in the wake-sequence plane (harness/shm/layout.ts) counts
 * wake-ups.
 * waitEvent() is the kernel's prepare_to_wait() loop: set this CPU's bit, read the wake sequence,
 * check the condition, sleep remembering that sequence. wakeUp() bumps the sequence, then reads
 * the mask and rings the doorbell of every CPU in it. All of it is sequentially consistent
 * Atomics, so either the sleeper's check sees the waker's state change or the waker sees the
 * bit and the sequence moves after the sleeper read it (the Dekker pairing). A rung CPU wakes
 * exactly the sleepers whose own wait queue's sequence moved; the others stay asleep, whatever
 * rang the CPU, and nobody re-evaluates a sleeper's condition but the woken task itself (as
 * wait_event() re-checks after schedule() returns). A sleep also ends at its own timeout. So a
 * missing wakeUp() in kernel code is a task that sleeps forever, and the hung-task check below
 * reports it. A ring with no woken sleeper is an IPI: the CPU leaves idle and takes its
 * interrupts (RCU uses that).
 *
 * Hung tasks (kernel/hung_task.c). A task in an uninterruptible sleep (waitEvent(), a sleeping
 * lock, scheduleTimeout(), sleepOn()) records where it sleeps; once a second the CPU looks at its
 * own sleepers, and one asleep longer than hung_task_timeout_secs is reported with that stack and
 * every lock held in the system, and the guest ends (hung_task_panic). Interruptible and idle
 * sleeps (waitEventInterruptible()) are not checked, as in the kernel.
 *
 * Hotplug. A CPU asked to park (CPU_CMD park) keeps running the tasks that hold locks or sit in
 * an RCU reader, and freezes every task that reaches a safe point. When nothing but frozen tasks
 * is left, it runs the AP teardown callbacks with irqs off, clears its online bit and sleeps on
 * its doorbell until unparked. Tasks never migrate (JS closures cannot move between threads):
 * a frozen task resumes when its CPU comes back. Timers of an offline CPU wait for it too, and so
 * do wake-ups of its sleepers (the sequence has moved; the CPU sees it when it is back).
 *
 * Not modelled: priorities, load balancing, CPU affinity changes, exclusive wake-ups (every
 * wake-up is wake_up_all()).
 */

import { HZ, SOFTIRQ_BIT, type KernelConfig, type SchedHooks, type SoftirqNr, type TimerList, type WaitQueueHead } from '../kapi.js';
import { param_parse } from '../../kernels/moduleparam.js';
import {
  CPU_CMD,
  CPU_CMDS,
  CPU_CURR_PID,
  CPU_DOORBELL,
  CPU_HEARTBEAT,
  CPU_HEARTBEAT_J,
  CPU_HP_WQ,
  CPU_IDLE,
  CPU_IRQ_PENDING,
  CPU_ST,
  CPU_STATE,
  HDR_HUNG_REPORTED,
  HDR_MUST_STOP,
  HDR_NEXT_PID,
  HDR_NEXT_TASK_SLOT,
  HDR_NR_CPUS,
  HDR_WAKE_SEQ_BASE,
  setCpuOnline,
  wqMaskWord,
  MAX_TASKS,
  TASK_CPU,
  TASK_PID,
  TASK_WAKE_SEQ,
  cpuWord,
  taskWord,
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
  /** might_sleep() in atomic context: `BUG: sleeping function called from invalid context`. */
  mightSleepBug(task: Task): void;
  /** A task ended: lockdep checks for locks still held. */
  taskExit(task: Task): void;
  /** khungtaskd found `tasks` asleep (uninterruptible) for longer than the timeout: report, end the guest. */
  hungTasks(tasks: readonly Task[], nowJ: number): void;
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
/** khungtaskd's scan period (jiffies). */
const HUNG_CHECK_J = 1000;
/** Frames kept of a sleeper's stack (the kernel chain under the harness frames). */
const SLEEP_STACK_LIMIT = 40;

export class CpuRuntime {
  readonly id: number;
  readonly i32: Int32Array;
  readonly config: KernelConfig;
  readonly #env: CpuEnv;
  readonly #bootMs: number;
  readonly #doorbell: number;
  /** CPU_IRQ_PENDING of this CPU: the timer interrupt line (kapi fast paths load it). */
  readonly irqPendingWord: number;
  /** The tick found another task runnable: PREEMPT=y switches at the next preemptible point. */
  #needResched = false;
  /** Word 0 of the wake-sequence plane: a wait queue's sequence is at #seqBase + wq.index. */
  readonly #seqBase: number;
  /** This CPU's bit in its word of a wait queue's CPU mask (wqMaskWord()). */
  readonly #wqBit: number;
  /** Words of a wait queue's CPU mask in this guest: ceil(nr_cpus / 32). */
  readonly #maskWords: number;
  /** jiffies * 1000 after which a D sleeper is hung; 0 disables (hung_task_timeout_secs=0). */
  readonly #hungJ: number;
  #lastHungCheckJ = 0;

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
    this.irqPendingWord = cpuWord(env.cpu, CPU_IRQ_PENDING);
    this.#seqBase = Atomics.load(env.i32, HDR_WAKE_SEQ_BASE);
    this.#wqBit = 1 << (env.cpu & 31);
    this.#maskWords = Math.ceil(Math.max(1, Atomics.load(env.i32, HDR_NR_CPUS)) / 32);
    const hung = param_parse('uint', env.config.bootParams.get('hung_task_timeout_secs') ?? '10') ?? 10;
    this.#hungJ = hung * HZ;
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
    if (this.irqsOff || this.preemptCount > 0 || this.hardirqCount > 0 || this.softirqCount > 0) {
      this.#env.schedBug('atomic', t);
      // schedule_debug(): after the report the kernel resets the count (preempt_count_set()), and
      // irqs are on again after the switch, so the next task does not inherit the bug.
      this.preemptCount = 0;
      this.irqsOff = false;
    } else if (t.rcuDepth > 0) this.#env.schedBug('rcu', t);
  }

  /** might_sleep(): the caller may sleep here; atomic context is a bug even if it does not sleep. */
  mightSleep(): void {
    if (this.irqsOff || this.preemptCount > 0 || this.hardirqCount > 0 || this.softirqCount > 0) this.#env.mightSleepBug(this.currentOrIrq());
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

  /** preemptible(): PREEMPT=y, a task, preempt count 0, irqs on, not in interrupt. */
  #preemptible(): boolean {
    return this.config.preempt && this.current !== null && this.preemptCount === 0 && !this.irqsOff && this.hardirqCount === 0 && this.softirqCount === 0;
  }

  /** preempt_schedule(): the running task goes to the back of the runqueue. */
  #preemptNow(): Promise<void> {
    const t = this.current as Task;
    t.state = 'runnable';
    t.preempted = true;
    this.#runqueue.push(t);
    return this.#block(t);
  }

  /**
   * udelay()/mdelay(): busy-wait `us` microseconds inside the task. Pending interrupts are taken
   * as it spins (unless irqs are off); with PREEMPT=y, where preemptible, every tick preempts it
   * (see below) and the rest of the delay runs when the task is back: the returned promise.
   * Null when the delay completed on the CPU.
   */
  delay(us: number): Promise<void> | null {
    const i32 = this.i32;
    const pend = this.irqPendingWord;
    const end = performance.now() + us / 1000;
    for (;;) {
      let now = performance.now();
      while (now < end && Atomics.load(i32, pend) === 0) now = performance.now();
      if (now >= end) return null;
      this.takePendingInterrupts();
      // PREEMPT=y: a busy-wait gives up its CPU at every tick it takes, even when nothing else
      // of ours is runnable: the kernel's CPUs have more runnable tasks than the model's
      // (kworkers, ksoftirqd, rcuc), and a reader spinning in mdelay() is exactly what
      // rcutorture's long rcu_read_delay() is for: preempted inside its critical section, it is
      // a blocked reader that only a correct grace period waits for.
      if ((this.#needResched || this.config.preempt) && this.#preemptible()) {
        const left = end - performance.now();
        return this.#preemptNow().then(() => {
          const p = this.delay(Math.max(0, left * 1000));
          return p ?? undefined;
        });
      }
      // Interrupts deferred (irqs off, or already in one): spin out the rest; the line stays raised.
      if (Atomics.load(i32, pend) !== 0) {
        while (performance.now() < end);
        return null;
      }
    }
  }

  /**
   * Take the pending timer interrupt here, inside the running task (any interrupt-enabled kapi
   * call ends up here when CPU_IRQ_PENDING is set): the tick in hardirq context, then on irq
   * exit the pending softirqs unless bottom halves are disabled or we already are in one.
   * With irqs disabled (or in hardirq context) it stays pending.
   */
  takePendingInterrupts(): void {
    if (this.irqsOff || this.hardirqCount > 0 || this.softirqCount > 0) return;
    Atomics.store(this.i32, this.irqPendingWord, 0);
    this.#interrupts();
  }

  /** local_bh_enable() reaching 0: run what was raised meanwhile (do_softirq()). */
  softirqsReenabled(): void {
    if (this.#softirqPending !== 0 && !this.irqsOff && this.hardirqCount === 0 && this.softirqCount === 0) this.#doSoftirq();
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
    return this.#sleepUntil(t, this.jiffies() + Math.max(0, Math.ceil(j)));
  }

  /** At least until `deadline` (msleep()'s loop: an early wake_up_process() sleeps again). */
  async #sleepUntil(t: Task, deadline: number): Promise<void> {
    do {
      await this.#sleep(t, null, 0, deadline, true);
      this.#afterWake(t);
    } while (this.jiffies() < deadline);
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
    const t = this.#taskOrThrow();
    if (cond()) return true;
    this.#checkMaySleep(t);
    const bit = this.#wqBit;
    const maskWord = wqMaskWord(wq.index, this.id, this.#seqBase);
    const seqWord = this.#seqBase + wq.index;
    const deadline = timeoutJ === undefined ? Infinity : this.jiffies() + Math.max(0, Math.ceil(timeoutJ));
    for (;;) {
      // prepare_to_wait(): publish the sleeper, read the wake sequence, then re-check. Pairs with
      // the state change, then Atomics.add of the sequence and load of the mask in wakeUp().
      Atomics.or(wq.i32, maskWord, bit);
      const seq = Atomics.load(this.i32, seqWord);
      if (cond()) {
        this.#maybeClearWqBit(wq);
        return true;
      }
      if (this.jiffies() >= deadline) {
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
    else t.noteSleep(this.#lastTickJ);
    t.uninterruptible = uninterruptible;
    t.waitWq = wq;
    t.waitSeq = seq;
    t.deadline = deadline;
    t.timedOut = false;
    t.preempted = false;
    if (deadline < this.#nextDeadline) this.#nextDeadline = deadline;
    this.#blocked.push(t);
    return this.#block(t);
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
    this.#selfPoll = true;
    return true;
  }

  async sleepOn<T>(p: Promise<T>): Promise<T> {
    const t = this.#taskOrThrow();
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
      this.#externalSleepers++;
      // Only the settlement ends this sleep: a wake_up_process() meanwhile is spurious here.
      while (!settled) {
        await this.#sleep(t, null, 0, Infinity, true);
        this.#afterWake(t);
      }
      t.external = false;
      this.#externalSleepers--;
    }
    if (failed) throw error;
    return value as T;
  }

  #externalDone(t: Task): void {
    // The promise's settlement is the wake-up of exactly this task.
    t.externalSettled = true;
    this.#selfPoll = true;
    // Wake our own idle waitAsync; pairs with the waitAsync in #idle().
    Atomics.add(this.i32, this.#doorbell, 1);
    Atomics.notify(this.i32, this.#doorbell, 1);
  }

  wakeUp(wq: WaitQueueHead): void {
    // Bump the sequence, then load the mask: pairs with Atomics.or + sequence load in
    // #waitEvent(). The caller's state change is ordered before both.
    Atomics.add(this.i32, this.#seqBase + wq.index, 1);
    // One word per 32 CPUs (wqMaskWord()); a guest of up to 32 CPUs loads only the head.
    for (let k = 0; k < this.#maskWords; k++) {
      const mask = Atomics.load(wq.i32, k === 0 ? wq.index : this.#seqBase * (k + 1) + wq.index);
      for (let cpu = k * 32, m = mask; m !== 0; cpu++, m >>>= 1) {
        if ((m & 1) === 0) continue;
        if (cpu === this.id) this.#selfPoll = true;
        else ringCpu(this.i32, cpu);
      }
    }
  }

  /**
   * wake_up_process(pid): wake that task out of whatever sleep it is in (it re-checks its
   * condition, as after any wake-up). Any CPU; the kernel's kthread_stop() does this. Bump the
   * task's wake count, then ring its CPU: pairs with the count read when the task went to sleep.
   */
  wakeUpProcess(pid: number): void {
    const n = Math.min(Atomics.load(this.i32, HDR_NEXT_TASK_SLOT), MAX_TASKS);
    for (let s = 0; s < n; s++) {
      if (Atomics.load(this.i32, taskWord(s, TASK_PID)) !== pid) continue;
      Atomics.add(this.i32, taskWord(s, TASK_WAKE_SEQ), 1);
      this.sendIpi(Atomics.load(this.i32, taskWord(s, TASK_CPU)));
      return;
    }
  }

  waitQueueIpi(wq: WaitQueueHead, on: boolean): void {
    const w = wqMaskWord(wq.index, this.id, this.#seqBase);
    // Pairs with the mask loads in wakeUp(), as a sleeper's bit does.
    if (on) Atomics.or(wq.i32, w, this.#wqBit);
    else Atomics.and(wq.i32, w, ~this.#wqBit);
  }

  sendIpi(cpu: number): void {
    if (cpu === this.id) this.#selfPoll = true;
    else ringCpu(this.i32, cpu);
  }

  #maybeClearWqBit(wq: WaitQueueHead): void {
    for (const o of this.#blocked) {
      if (o.waitWq !== null && o.waitWq.i32 === wq.i32 && o.waitWq.index === wq.index) return;
    }
    Atomics.and(wq.i32, wqMaskWord(wq.index, this.id, this.#seqBase), ~this.#wqBit);
  }

  /**
   * try_to_wake_up() for this CPU's sleepers: after a ring, wake those whose wait queue's
   * sequence moved (or whose foreign promise settled); at any pass, those whose timeout expired.
   * Nobody else is woken, and no condition is evaluated here.
   */
  #wakeSleepers(rung: boolean): void {
    const now = this.jiffies();
    if (!rung && now < this.#nextDeadline) return;
    const i32 = this.i32;
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
    this.#nextDeadline = next;
    if (woken === null) return;
    this.#blocked = still;
    for (const t of woken) {
      const wq = t.waitWq;
      t.waitWq = null;
      t.deadline = Infinity;
      if (wq !== null) this.#maybeClearWqBit(wq);
      t.state = 'runnable';
      t.setSharedState('runnable');
      this.#runqueue.push(t);
    }
  }

  /**
   * khungtaskd over this CPU's sleepers: check_hung_uninterruptible_tasks(). A hung task is first
   * woken once to record its stack (#sleep()); the report follows at the next pass, when every
   * hung task has one.
   */
  #checkHungTasks(now: number): void {
    this.#lastHungCheckJ = now;
    let hung: Task[] | null = null;
    for (const t of this.#blocked) {
      if (t.uninterruptible && now - t.sleepSinceJ >= this.#hungJ) (hung ??= []).push(t);
    }
    if (hung === null) return;
    const unprobed = hung.filter((t) => t.sleepSite === null || t.sleepSiteJ !== t.sleepSinceJ);
    if (unprobed.length > 0) {
      this.#blocked = this.#blocked.filter((t) => !unprobed.includes(t));
      for (const t of unprobed) {
        t.stackProbe = true;
        t.sleepSiteJ = t.sleepSinceJ;
        t.state = 'runnable';
        this.#runqueue.push(t);
      }
      this.#lastHungCheckJ = now - HUNG_CHECK_J; // report at the next pass with a new jiffy
      return;
    }
    // One report per guest (hung_task_panic): the first CPU to find hung tasks prints it.
    if (Atomics.compareExchange(this.i32, HDR_HUNG_REPORTED, 0, 1) !== 0) return;
    this.#env.hungTasks(hung, now);
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
      if (this.#runqueue.length > 0) this.#needResched = true;
    }
    // irq_exit(): softirqs run unless bottom halves are disabled (in_interrupt()).
    if (this.#softirqPending !== 0 && this.bhCount === 0 && this.softirqCount === 0) this.#doSoftirq();
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
    setCpuOnline(this.i32, this.id, false);
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
    setCpuOnline(this.i32, this.id, true);
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
    this.#needResched = false;
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
      Atomics.store(i32, this.irqPendingWord, 0);
      this.#interrupts();
      if (this.#externalSleepers > 0 && performance.now() - this.#lastLoopYield > 1) {
        // A foreign promise (a user's sleeping lock) settles only when this worker's event
        // loop turns; a CPU that never idles must still let it turn.
        await new Promise<void>((r) => setImmediate(r));
        this.#lastLoopYield = performance.now();
      }
      this.#wakeSleepers(rung || this.#selfPoll);
      // khungtaskd's period, on the jiffy the tick last saw (no clock read on this path).
      if (this.#hungJ > 0 && this.#lastTickJ - this.#lastHungCheckJ >= HUNG_CHECK_J) this.#checkHungTasks(this.#lastTickJ);
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
