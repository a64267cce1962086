/*
 * One executor: a worker thread that runs its tasks on whichever CPU it holds the run token of
 * (harness/cpu/README.md, "Executors and run tokens", says why and how). Closures cannot cross
 * threads, so a task stays with the executor that spawned it; what moves is the CPU it runs on.
 * Executor k is CPU k's home: at boot it holds CPU k's token, its idle loop holds it whenever it is
 * free, and it performs CPU k's hotplug. smp_processor_id() is `cpu`, the CPU of the held token
 * (-1 when the executor holds none and so runs nothing).
 *
 * Scheduling is CONFIG_PREEMPT_NONE by construction: a task runs until it awaits a kapi promise
 * (schedule, a sleeping lock, a timeout); PREEMPT=y adds the involuntary switches of
 * preemptPoint() and of busy-wait delays. At every task switch (the loop below) the executor
 * (1) hands its token to an executor waiting for that CPU (a ticket lock: FIFO, nobody starves),
 * (2) runs the first runnable task if its affinity allows the held CPU, or else (3) gives the CPU
 * up and takes the token of a CPU the task may run on: the task's last CPU, the home CPU, any
 * free one, in that order. Two executors wanting one CPU are two tasks on one runqueue: they
 * alternate at switch points. Affinity: a kthread_bind() task runs only on its CPU; the others on
 * every online CPU, except that tasks registered for torture_shuffle avoid the shuffle-idle CPU
 * (HDR_SHUFFLE_IDLE).
 *
 * Idle. A CPU whose token is free, or held by an executor in its idle loop, is idle: CPU_IDLE is
 * 1 and the scheduler hooks' idleEnter() ran for it (RCU's extended quiescent state), so grace
 * periods never wait for a CPU nobody runs on. Whoever takes a token of an idle CPU runs
 * idleExit() for it; whoever releases a token with nobody waiting runs idleEnter() first.
 *
 * Interrupts. The executor's timer line (CPU_IRQ_PENDING in its home slot, set at 1 kHz by the
 * guest) is taken only while it holds a token: the tick then runs the hooks for the held CPU
 * (per-CPU RCU work over that CPU's shared rcu_data). Timers are closures: they stay with their
 * executor and fire whenever it holds any token; an executor without a token takes one to run a
 * due timer (the kernel's timers_dead_cpu() migrates an offline CPU's timers the same way).
 * Softirqs raised on an executor run on the CPU it holds when they run.
 *
 * How waiting works. A wait queue is a word in guest shared memory holding the mask of
 * EXECUTORS with a sleeper on it (0-31; each further 32 have their word at the head's index in
 * one more wait-mask plane); its twin in the wake-sequence plane (harness/shm/layout.ts) counts
 * wake-ups. Sleepers never change executor, so masks and doorbells are by executor.
 * waitEvent() is the kernel's prepare_to_wait() loop: set this executor's bit, read the wake
 * sequence, check the condition, sleep remembering that sequence. wakeUp() bumps the sequence,
 * then reads the mask and rings the doorbell of every executor in it. All of it is sequentially
 * consistent Atomics, so either the sleeper's check sees the waker's state change or the waker
 * sees the bit and the sequence moves after the sleeper read it (the Dekker pairing). A rung
 * executor wakes exactly the sleepers whose own wait queue's sequence moved; the others stay
 * asleep, whatever rang it, and nobody re-evaluates a sleeper's condition but the woken task
 * itself (as wait_event() re-checks after schedule() returns). A sleep also ends at its own
 * timeout. So a missing wakeUp() in kernel code is a task that sleeps forever, and the hung-task
 * check below reports it. A ring with no woken sleeper is an IPI: the executor leaves idle and
 * takes its interrupts (RCU uses that). sendIpi(cpu) rings the executor holding that CPU's token
 * (its home executor when the token is free, which then takes it).
 *
 * Hung tasks (kernel/hung_task.c). A task in an uninterruptible sleep (waitEvent(), a sleeping
 * lock, scheduleTimeout(), sleepOn()) records where it sleeps; once a second each executor looks
 * at its own sleepers, and one asleep longer than hung_task_timeout_secs is reported with that
 * stack and every lock held in the system, and the guest ends (hung_task_panic). Interruptible and
 * idle sleeps (waitEventInterruptible()) are not checked, as in the kernel.
 *
 * Hotplug (kernel/cpu.c take_cpu_down(), sched_cpu_dying()). A CPU asked to park (CPU_CMD park)
 * is taken down by its home executor at its next task switch: it takes the CPU's token (the
 * current holder lets go at its own next switch, whatever locks its tasks hold), runs the AP
 * teardown callbacks there with irqs off, clears the online bit and retires the token. Nothing
 * waits for lock holders or readers: the tasks that last ran there keep their held locks and RCU
 * reader state and run on online CPUs from their next switch (a reader preempted there stays
 * queued on the rcu_node it was queued on). Tasks bound to the CPU (kthread_bind) park until it is
 * back (smpboot's kthread_park). Unpark: the home executor takes the token back, runs the AP
 * startup callbacks, sets the online bit and unparks the bound tasks.
 *
 * Not modelled: priorities, load balancing beyond these rules (a task stays on its CPU while it
 * may), exclusive wake-ups (every wake-up is wake_up_all()).
 */

import { HZ, SOFTIRQ_BIT, type KernelConfig, type SchedHooks, type SoftirqNr, type TaskRef, type TimerList, type WaitQueueHead } from '../kapi.js';
import { hung_task_timeout_secs, test_lost_token } from '../../kernels/core_params.js';
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
  CPU_TOKEN_HOLDER,
  CPU_TOKEN_NEXT,
  CPU_TOKEN_SERVING,
  EXEC_WAITS_FOR,
  HDR_HUNG_REPORTED,
  HDR_MUST_STOP,
  HDR_NEXT_PID,
  HDR_NEXT_TASK_SLOT,
  HDR_NR_CPUS,
  HDR_SHUFFLE_GEN,
  HDR_SHUFFLE_IDLE,
  HDR_WAKE_SEQ_BASE,
  cpuOnlineIn,
  numOnlineCpusIn,
  setCpuOnline,
  wqMaskWord,
  MAX_TASKS,
  TASK_EXECUTOR,
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
/** A waiter for a run token re-rings the holder this often (it may have gone idle meanwhile). */
const TOKEN_WAIT_SLICE_MS = 20;
/**
 * A holder with runnable work keeps a CPU this long before it hands it to a waiter (EEVDF's base
 * slice: 0.75 ms * (1 + ilog2(8 CPUs)) = 3 ms). Each handover costs a host thread wake-up, during
 * which the CPU runs nothing; handing over at every task switch made shared CPUs mostly idle.
 */
const TOKEN_SLICE_MS = 3;
/** khungtaskd's scan period (jiffies). */
const HUNG_CHECK_J = 1000;
/** Frames kept of a sleeper's stack (the kernel chain under the harness frames). */
const SLEEP_STACK_LIMIT = 40;

export class CpuRuntime {
  /** The executor's index: its home CPU, its doorbell, its bit in wait-queue masks. */
  readonly id: number;
  /** smp_processor_id(): the CPU whose run token this executor holds, -1 when none. */
  cpu = -1;
  readonly #nrCpus: number;
  readonly i32: Int32Array;
  readonly config: KernelConfig;
  readonly #env: CpuEnv;
  readonly #bootMs: number;
  readonly #doorbell: number;
  /** CPU_IRQ_PENDING of the home slot: this executor's timer line (kapi fast paths load it). */
  readonly irqPendingWord: number;
  /** The tick found another task runnable: PREEMPT=y switches at the next preemptible point. */
  #needResched = false;
  /** Word 0 of the wake-sequence plane: a wait queue's sequence is at #seqBase + wq.index. */
  readonly #seqBase: number;
  /** This executor's bit in its word of a wait queue's mask (wqMaskWord()). */
  readonly #wqBit: number;
  /** Words of a wait queue's CPU mask in this guest: ceil(nr_cpus / 32). */
  readonly #maskWords: number;
  /** jiffies * 1000 after which a D sleeper is hung; 0 disables (hung_task_timeout_secs=0). */
  readonly #hungJ: number;
  /* sched.test_lost_token: lose every N-th token hand-off (0: never), and the hand-offs so far. */
  readonly #lostTokenEvery: number;
  #handoffs = 0;
  #lastHungCheckJ = 0;

  current: Task | null = null;
  /** Pseudo task that owns irq-context lock acquisitions (ksoftirqd/N). */
  readonly irqTask: Task;
  #runqueue: Task[] = [];
  #blocked: Task[] = [];
  /** Tasks bound to an offline CPU (kthread_park()): runnable again when it is back. */
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

  /** performance.now() when the held token was taken (its slice starts). */
  #tokenSinceMs = 0;
  /** The home CPU is offline (this executor took it down). */
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
    this.#nrCpus = Math.max(1, Atomics.load(env.i32, HDR_NR_CPUS));
    this.#maskWords = Math.ceil(this.#nrCpus / 32);
    const hung = hung_task_timeout_secs.from(env.config.bootParams);
    this.#hungJ = hung * HZ;
    this.#lostTokenEvery = test_lost_token.from(env.config.bootParams);
    this.irqTask = new Task(env.i32, 0, `ksoftirqd/${env.cpu}`, env.cpu, env.cpu, -1, async () => {});
    // Boot: the home CPU's ticket 0 (zeroed memory is a free token), so boot() runs on it.
    this.#takeToken(env.cpu, true);
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
    const t = new Task(this.i32, pid, comm, this.cpu >= 0 ? this.cpu : this.id, this.id, slot < MAX_TASKS ? slot : -1, fn);
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

  /** `t` as our own Task: binding and shuffle registration are for tasks of this executor. */
  ownTask(t: TaskRef): Task {
    if (!(t instanceof Task) || t.executor !== this.id) throw new Error(`task ${t.comm}/${t.pid} belongs to another executor`);
    return t;
  }

  /** kthread_bind(): `t` (one of ours, not yet run or not running) may run on `cpu` only. */
  kthreadBind(t: Task, cpu: number): void {
    if (t.executor !== this.id) throw new Error(`kthread_bind: ${t.comm}/${t.pid} belongs to another executor`);
    t.bound = cpu;
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
      this.#ringExecutor(Atomics.load(this.i32, taskWord(s, TASK_EXECUTOR)));
      return;
    }
  }

  /**
   * Ask that a wake-up of `wq` be an IPI to this CPU: the bit of the CPU's home executor (which
   * holds the token when the CPU is idle, or takes it), not ours, since it is the CPU's work
   * (its callbacks) that wants the ring.
   */
  waitQueueIpi(wq: WaitQueueHead, on: boolean): void {
    const cpu = this.cpu >= 0 ? this.cpu : this.id;
    const w = wqMaskWord(wq.index, cpu, this.#seqBase);
    const bit = 1 << (cpu & 31);
    // Pairs with the mask loads in wakeUp(), as a sleeper's bit does.
    if (on) Atomics.or(wq.i32, w, bit);
    else Atomics.and(wq.i32, w, ~bit);
  }

  /** An IPI to `cpu`: ring the executor holding its token, or its home executor when it is free. */
  sendIpi(cpu: number): void {
    if (cpu === this.cpu) {
      this.#selfPoll = true;
      return;
    }
    const h = Atomics.load(this.i32, cpuWord(cpu, CPU_TOKEN_HOLDER));
    this.#ringExecutor(h > 0 ? h - 1 : cpu);
  }

  #ringExecutor(e: number): void {
    if (e === this.id) this.#selfPoll = true;
    else ringCpu(this.i32, e);
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
      if (t.bound >= 0 && !cpuOnlineIn(i32, t.bound)) {
        this.#freeze(t); // kthread_park(): it runs when its CPU is back
        continue;
      }
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
      if (this.#runqueue.length > 0 || this.#tokenWaiters(this.cpu)) this.#needResched = true;
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

  /* ---------------- run tokens ---------------- */

  /** Someone waits for the token we hold of `cpu`. Pairs with the ticket Atomics.add in #takeToken(). */
  #tokenWaiters(cpu: number): boolean {
    return Atomics.load(this.i32, cpuWord(cpu, CPU_TOKEN_NEXT)) - Atomics.load(this.i32, cpuWord(cpu, CPU_TOKEN_SERVING)) > 1;
  }

  #tokenFree(cpu: number): boolean {
    return Atomics.load(this.i32, cpuWord(cpu, CPU_TOKEN_NEXT)) === Atomics.load(this.i32, cpuWord(cpu, CPU_TOKEN_SERVING));
  }

  /** Take `cpu`'s token if it is free (no waiting). */
  #tryTakeToken(cpu: number): boolean {
    const s = Atomics.load(this.i32, cpuWord(cpu, CPU_TOKEN_SERVING));
    if (Atomics.compareExchange(this.i32, cpuWord(cpu, CPU_TOKEN_NEXT), s, s + 1) !== s) return false;
    this.#gotToken(cpu);
    return true;
  }

  /**
   * Take a ticket for `cpu` and wait until it is served (FIFO behind the other waiters); the
   * holder lets go at its next task switch, or at once if it idles (we ring it). With `offline`
   * false, a token served after its CPU went offline is passed on at once: false, no CPU held.
   * The worker thread blocks meanwhile: it has no CPU to run anything on.
   */
  #takeToken(cpu: number, offline: boolean): boolean {
    const i32 = this.i32;
    const serving = cpuWord(cpu, CPU_TOKEN_SERVING);
    const my = Atomics.add(i32, cpuWord(cpu, CPU_TOKEN_NEXT), 1);
    Atomics.store(i32, cpuWord(this.id, EXEC_WAITS_FOR), ((my & 0x7fffff) << 8) | (cpu + 1));
    for (;;) {
      const s = Atomics.load(i32, serving);
      if (s === my) break;
      // Ring the holder after our ticket is visible: an idle holder re-checks for waiters after
      // it stored itself as holder and before it sleeps (#idle()), so one of the two sees the other.
      const h = Atomics.load(i32, cpuWord(cpu, CPU_TOKEN_HOLDER));
      if (h > 0) ringCpu(i32, h - 1);
      Atomics.wait(i32, serving, s, TOKEN_WAIT_SLICE_MS); // pairs with Atomics.add + notify in #releaseToken()
    }
    Atomics.store(i32, cpuWord(this.id, EXEC_WAITS_FOR), 0);
    this.#gotToken(cpu);
    if (!offline && !cpuOnlineIn(i32, cpu)) {
      this.#releaseToken();
      return false;
    }
    return true;
  }

  #gotToken(cpu: number): void {
    this.cpu = cpu;
    this.#tokenSinceMs = performance.now();
    Atomics.store(this.i32, cpuWord(cpu, CPU_TOKEN_HOLDER), this.id + 1);
    // The CPU was idle (its token free, or its last holder idled): it leaves its extended QS.
    // An offline CPU has none (its token is only passed on, or taken to bring it up).
    if (Atomics.load(this.i32, cpuWord(cpu, CPU_IDLE)) === 1 && cpuOnlineIn(this.i32, cpu)) {
      for (const h of this.#hooks) h.idleExit?.();
      Atomics.store(this.i32, cpuWord(cpu, CPU_IDLE), 0);
    }
  }

  /** Give up the held token: to the next waiter, or the CPU goes idle (idleEnter() for it first). */
  #releaseToken(): void {
    const cpu = this.cpu;
    if (cpu < 0) return;
    const i32 = this.i32;
    // Planted bug (sched.test_lost_token=N): every N-th hand-off to a waiter forgets to serve the
    // next ticket. The token is then free with waiters queued behind a ticket nobody serves: no
    // executor runs that CPU again, and only the run-token watchdog (hang_detector.ts) can say so.
    if (this.#lostTokenEvery > 0 && this.#tokenWaiters(cpu) && ++this.#handoffs % this.#lostTokenEvery === 0) {
      Atomics.store(i32, cpuWord(cpu, CPU_CURR_PID), 0);
      Atomics.store(i32, cpuWord(cpu, CPU_TOKEN_HOLDER), 0);
      this.cpu = -1;
      return;
    }
    if (!this.#tokenWaiters(cpu) && Atomics.load(i32, cpuWord(cpu, CPU_IDLE)) === 0 && cpuOnlineIn(i32, cpu)) {
      Atomics.store(i32, cpuWord(cpu, CPU_IDLE), 1);
      for (const h of this.#hooks) h.idleEnter?.();
    }
    Atomics.store(i32, cpuWord(cpu, CPU_CURR_PID), 0);
    Atomics.store(i32, cpuWord(cpu, CPU_TOKEN_HOLDER), 0);
    this.cpu = -1;
    const serving = cpuWord(cpu, CPU_TOKEN_SERVING);
    Atomics.add(i32, serving, 1);
    Atomics.notify(i32, serving); // pairs with the Atomics.wait in #takeToken()
  }

  /**
   * The CPU shuffled tasks avoid, -1 for none; -2 when only one CPU is online: a task's affinity
   * could then hold no online CPU, and the kernel's select_fallback_rq() lets it run anywhere
   * (hotplug may take the other CPUs down after the shuffle chose). Task.allowedOn() reads it.
   */
  #shuffleIdle(): number {
    const idle = Atomics.load(this.i32, HDR_SHUFFLE_IDLE) - 1;
    // Without random_shuffle no task avoids anything while no CPU is idled (the usual case).
    if (idle < 0 && Atomics.load(this.i32, HDR_SHUFFLE_GEN) === 0) return -1;
    return numOnlineCpusIn(this.i32) > 1 ? idle : -2;
  }

  /**
   * select_task_rq(): the CPU `t` should run on next (null: any work of this executor). The home
   * CPU when allowed: an executor belongs there, and tasks stay where they are while they may (no
   * load balancing). Else the task's last CPU if it is ours or free, else the CPU we hold, else
   * the least loaded allowed CPU (spreads the executors of offline CPUs).
   * -1 when it may run nowhere now (bound to an offline CPU).
   */
  #selectCpu(t: Task | null): number {
    const i32 = this.i32;
    const idle = this.#shuffleIdle();
    const ok = (c: number): boolean => c >= 0 && cpuOnlineIn(i32, c) && (t === null || t.allowedOn(c, idle));
    if (t !== null && t.bound >= 0) return ok(t.bound) ? t.bound : -1;
    if (ok(this.id)) return this.id;
    if (t !== null && ok(t.cpu) && (t.cpu === this.cpu || this.#tokenFree(t.cpu))) return t.cpu;
    if (this.cpu >= 0 && ok(this.cpu)) return this.cpu;
    // The least loaded allowed CPU: a free token first, then an idle holder (it lets go at once),
    // then the shortest queue; ties go to the first after home, which spreads homeless executors.
    let best = -1;
    let bestLoad = Infinity;
    for (let k = 1; k <= this.#nrCpus; k++) {
      const c = (this.id + k) % this.#nrCpus;
      if (!ok(c)) continue;
      const queued = Atomics.load(i32, cpuWord(c, CPU_TOKEN_NEXT)) - Atomics.load(i32, cpuWord(c, CPU_TOKEN_SERVING));
      const load = queued === 0 ? 0 : 2 * queued - (Atomics.load(i32, cpuWord(c, CPU_IDLE)) === 1 ? 1 : 0);
      if (load < bestLoad) {
        best = c;
        bestLoad = load;
        if (load === 0) break;
      }
    }
    return best;
  }

  /* ---------------- hotplug ---------------- */

  registerApCallbacks(name: string, teardown: (() => void) | null, startup: (() => void) | null): void {
    if (teardown) this.#apTeardown.push({ name, fn: teardown });
    if (startup) this.#apStartup.push({ name, fn: startup });
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** A hotplug command for our home CPU: carried out here, between tasks. */
  #handleCommand(): void {
    const slot = cpuWord(this.id, CPU_CMD);
    const cmd = Atomics.load(this.i32, slot);
    if (cmd === CPU_CMDS.none) return;
    if (cmd === CPU_CMDS.park && !this.#dead) {
      Atomics.store(this.i32, cpuWord(this.id, CPU_STATE), CPU_ST.dying);
      if (this.cpu !== this.id) {
        this.#releaseToken();
        this.#takeToken(this.id, true);
      }
      this.#park();
    } else if (cmd === CPU_CMDS.unpark && this.#dead) {
      this.#releaseToken();
      this.#takeToken(this.id, true);
      this.#unpark();
    } else {
      Atomics.store(this.i32, slot, CPU_CMDS.none);
    }
  }

  /** take_cpu_down() + sched_cpu_dying() on our home CPU, whose token we hold. */
  #park(): void {
    const cpu = this.id;
    this.irqsOff = true;
    try {
      // AP teardown callbacks run in reverse registration (state) order, on this CPU.
      for (let k = this.#apTeardown.length - 1; k >= 0; k--) this.#apTeardown[k]?.fn();
    } catch (err) {
      this.#env.oops(err, 'cpuhp_ap_teardown', true);
    } finally {
      this.irqsOff = false;
    }
    this.#dead = true;
    setCpuOnline(this.i32, cpu, false);
    // kthread_park() of the tasks bound here; every other task moves on at its next switch.
    const keep: Task[] = [];
    for (const t of this.#runqueue) {
      if (t.bound === cpu) this.#freeze(t);
      else keep.push(t);
    }
    this.#runqueue = keep;
    Atomics.store(this.i32, cpuWord(cpu, CPU_CMD), CPU_CMDS.none);
    // Retire the token: offline, so waiters pass it on (#takeToken()).
    this.#releaseToken();
    // State store, then wake the control CPU sleeping on our CPU_HP_WQ (pairs with parkCpu()'s
    // waitEvent condition load).
    Atomics.store(this.i32, cpuWord(cpu, CPU_STATE), CPU_ST.dead);
    this.wakeUp({ i32: this.i32, index: cpuWord(cpu, CPU_HP_WQ) });
  }

  #freeze(t: Task): void {
    t.setSharedState('frozen');
    this.#frozen.push(t);
  }

  /** Our home CPU comes back: its token is ours again (taken by #handleCommand()). */
  #unpark(): void {
    const cpu = this.id;
    this.irqsOff = true;
    try {
      for (const cb of this.#apStartup) cb.fn();
    } catch (err) {
      this.#env.oops(err, 'cpuhp_ap_startup', true);
    } finally {
      this.irqsOff = false;
    }
    this.#dead = false;
    Atomics.store(this.i32, cpuWord(cpu, CPU_CMD), CPU_CMDS.none);
    setCpuOnline(this.i32, cpu, true);
    for (const t of this.#frozen) {
      t.setSharedState('runnable');
      this.#runqueue.push(t);
    }
    this.#frozen = [];
    this.#selfPoll = true;
    Atomics.store(this.i32, cpuWord(cpu, CPU_STATE), CPU_ST.online);
    this.wakeUp({ i32: this.i32, index: cpuWord(cpu, CPU_HP_WQ) });
  }

  /* ---------------- the loop ---------------- */

  /** Some runnable task may run on the CPU we hold. */
  #runnableHere(): boolean {
    const idle = this.#shuffleIdle();
    for (const t of this.#runqueue) if (t.allowedOn(this.cpu, idle)) return true;
    return false;
  }

  /** The first runnable task that may run on the CPU we hold. */
  #pickNext(): Task | null {
    if (this.cpu < 0) return null;
    const idle = this.#shuffleIdle();
    for (let k = 0; k < this.#runqueue.length; k++) {
      const t = this.#runqueue[k] as Task;
      if (!t.allowedOn(this.cpu, idle)) continue;
      this.#runqueue.splice(k, 1);
      return t;
    }
    return null;
  }

  async #switchTo(t: Task): Promise<void> {
    const cpu = this.cpu;
    this.#needResched = false;
    this.current = t;
    t.setCpu(cpu);
    t.state = 'running';
    t.setSharedState('running');
    Atomics.store(this.i32, cpuWord(cpu, CPU_CURR_PID), t.pid);
    const back = new Promise<void>((r) => {
      this.#back = r;
    });
    const resume = t.resume;
    t.resume = null;
    resume?.();
    await back;
    Atomics.store(this.i32, cpuWord(cpu, CPU_CURR_PID), 0);
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

  /**
   * Work that needs a CPU we do not hold: the CPU to take for it, -1 for none. The head of the
   * runqueue comes first (FIFO): if it may not run here, we move, even if others could.
   */
  #wantCpu(): number {
    const head = this.#runqueue[0];
    if (head !== undefined && (this.cpu < 0 || !head.allowedOn(this.cpu, this.#shuffleIdle()))) {
      const c = this.#selectCpu(head);
      if (c >= 0) return c;
    }
    // Due timers and raised softirqs run on any CPU (timers_dead_cpu()).
    if (this.cpu < 0 && (this.#softirqPending !== 0 || this.#nextTimer() <= this.jiffies())) return this.#selectCpu(null);
    return -1;
  }

  /** Run until power-off. Resolves when the executor stops. */
  async run(stopped: () => boolean): Promise<void> {
    const i32 = this.i32;
    for (;;) {
      if (this.#poweredOff || stopped()) return;
      this.#handleCommand();
      const bell = Atomics.load(i32, this.#doorbell);
      const rung = bell !== this.#doorbellSeen || this.#selfPoll;
      this.#doorbellSeen = bell;
      this.#selfPoll = false;
      const cpu = this.cpu;
      if (cpu >= 0) {
        // The soft-lockup watchdog watches CPUs: their holder beats (only it writes the word).
        const hb = cpuWord(cpu, CPU_HEARTBEAT);
        i32[hb] = (i32[hb] ?? 0) + 1;
        if ((++this.#heartbeat & 63) === 0) Atomics.store(i32, cpuWord(cpu, CPU_HEARTBEAT_J), this.jiffies());
        Atomics.store(i32, this.irqPendingWord, 0);
        this.#interrupts();
      }
      if (this.#externalSleepers > 0 && performance.now() - this.#lastLoopYield > 1) {
        // A foreign promise (a user's sleeping lock) settles only when this worker's event
        // loop turns; an executor that never idles must still let it turn.
        await new Promise<void>((r) => setImmediate(r));
        this.#lastLoopYield = performance.now();
      }
      this.#wakeSleepers(rung || this.#selfPoll);
      // khungtaskd's period, on the jiffy the tick last saw (no clock read on this path).
      const nowJ = this.cpu >= 0 ? this.#lastTickJ : this.jiffies();
      if (this.#hungJ > 0 && nowJ - this.#lastHungCheckJ >= HUNG_CHECK_J) this.#checkHungTasks(nowJ);
      // A task switch: an executor waiting for our CPU gets it (FIFO) once our slice is over,
      // whatever our tasks hold; at once if we have nothing to run here.
      if (this.cpu >= 0 && this.#tokenWaiters(this.cpu) && (performance.now() - this.#tokenSinceMs >= TOKEN_SLICE_MS || !this.#runnableHere())) {
        this.#releaseToken();
      }
      // Back home when home is free and the next task may run there: executors share CPUs only
      // while they must (a head that may not run at home would send us away again: a livelock).
      const head = this.#runqueue[0];
      if (
        this.cpu >= 0 &&
        this.cpu !== this.id &&
        !this.#dead &&
        this.#tokenFree(this.id) &&
        (head === undefined || head.allowedOn(this.id, this.#shuffleIdle()))
      ) {
        this.#releaseToken();
        this.#tryTakeToken(this.id);
      }
      const want = this.#wantCpu();
      if (want < 0 || want === this.cpu) {
        const t = this.#pickNext();
        if (t !== null) {
          await this.#switchTo(t);
          continue;
        }
      } else {
        this.#releaseToken();
        if (this.#tryTakeToken(want)) {
          if (!cpuOnlineIn(i32, want)) this.#releaseToken(); // it went offline meanwhile
        } else this.#takeToken(want, false);
        continue;
      }
      // Nothing to run: idle at home, holding the home token when it is free.
      if (this.cpu >= 0 && this.cpu !== this.id) this.#releaseToken();
      if (this.cpu < 0 && !this.#dead) this.#tryTakeToken(this.id);
      await this.#idle(bell);
    }
  }

  async #idle(seen: number): Promise<void> {
    const now = this.jiffies();
    const next = Math.min(this.#nextDeadline, this.#nextTimer());
    const timeout = Math.max(0, Math.min(IDLE_SLICE_MS, next === Infinity ? IDLE_SLICE_MS : next - now));
    if (this.#selfPoll || this.#softirqPending !== 0) return;
    const cpu = this.cpu;
    if (cpu >= 0) {
      if (this.#tokenWaiters(cpu)) return; // the loop hands it over
      Atomics.store(this.i32, cpuWord(cpu, CPU_IDLE), 1);
      for (const h of this.#hooks) h.idleEnter?.();
    }
    if (this.#externalSleepers > 0) {
      // A foreign promise (user lock) settles only on the event loop: wait asynchronously.
      const r = Atomics.waitAsync(this.i32, this.#doorbell, seen, timeout);
      if (r.async) await r.value;
    } else if (timeout > 0) {
      // Pairs with ringCpu()'s Atomics.add + notify on our doorbell.
      Atomics.wait(this.i32, this.#doorbell, seen, timeout);
    }
    if (cpu >= 0) {
      if (this.#tokenWaiters(cpu)) {
        // Handed over idle: the next holder leaves the idle state for it (#gotToken()).
        this.#releaseToken();
      } else {
        for (const h of this.#hooks) h.idleExit?.();
        Atomics.store(this.i32, cpuWord(cpu, CPU_IDLE), 0);
      }
    }
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
