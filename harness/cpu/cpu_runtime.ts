/*
 * One executor: a worker thread that runs its tasks on whichever CPU it holds the run token of.
 * harness/cpu/README.md ("Executors and run tokens") is the one explanation of the model; this
 * file is its scheduler: the task context that the kapi fast paths read (current task, irq and
 * preempt counts, smp_processor_id() as `cpu`), task creation and switches, preemption, and the
 * loop that hands tokens over at task switches and idles. It wires the parts that own the rest:
 * RunTokens (run_tokens.ts), Sleepers (sleepers.ts: wait/wake), Interrupts (interrupts.ts: tick,
 * timers, softirqs), Hotplug (hotplug.ts: park/unpark), Khungtaskd (khungtaskd.ts). They reach the
 * shared context through this object, and the kapi binds to them directly, so no hot path goes
 * through two objects. What the scheduling models and what it does not: README, "Scheduling".
 */

import type { KernelConfig, SchedHooks, TaskRef } from '../kapi.js';
import {
  CPU_CURR_PID,
  CPU_DOORBELL,
  CPU_HEARTBEAT,
  CPU_HEARTBEAT_J,
  CPU_IDLE,
  CPU_IRQ_PENDING,
  HDR_MUST_STOP,
  HDR_NEXT_PID,
  HDR_NEXT_TASK_SLOT,
  IRQ_LINE_SLEEPING,
  MAX_TASKS,
  cpuOnlineIn,
  cpuWord,
} from '../shm/layout.js';
import { HaltPoll, haltPollParams } from './cpuidle_haltpoll.js';
import { doorbellHalt, doorbellHaltAsync, takeForwarded } from './doorbell.js';
import type { CpuEnv, Executor } from './executor.js';
import { Hotplug } from './hotplug.js';
import { Interrupts } from './interrupts.js';
import { Khungtaskd } from './khungtaskd.js';
import { kthreadExitNotify } from './kthread_stop.js';
import { RunTokens } from './run_tokens.js';
import { Sleepers } from './sleepers.js';
import { exitTaskPrio, pickPrioIndex, rtPrioInUse } from './sched_prio.js';
import { Task } from './task.js';

/** Upper bound on one idle sleep, so that power-off and heartbeats are noticed. */
const IDLE_SLICE_MS = 100;
/**
 * How far past a jiffy boundary an idle CPU sleeps for a timer due at that jiffy: a futex sleep
 * can end a few microseconds early (the clock's rounding), and a CPU woken before the boundary
 * only halts again for the rest.
 */
const TIMER_WAKE_SLACK_MS = 0.02;

/**
 * How long an idle CPU halts, `nowMs` after boot, when its next timer or timeout is due at jiffy
 * `next` (Infinity: none). Jiffy J begins J ms after boot (jiffies() is the floor), so a timer due
 * at J is due at that instant: the halt ends then, not a whole jiffy after floor(now), which woke
 * an idle CPU 0-1 ms (0.5 on average) after its timer was due, at every timed sleep
 * (harness/cpu/README.md, "TREE05's writer, state by state").
 */
export function idleHaltMs(nowMs: number, next: number): number {
  if (next === Infinity) return IDLE_SLICE_MS;
  // A timer's expiry is a jiffy: one set to a fraction (kapi.modTimer() takes any number) is due
  // at the jiffy after it, when jiffies() reaches it; halting only to the fraction would spin.
  return Math.max(0, Math.min(IDLE_SLICE_MS, Math.ceil(next) - nowMs + TIMER_WAKE_SLACK_MS));
}
/**
 * The last part of a busy-wait that really spins: a futex sleep ends tens of microseconds late,
 * so a delay sleeps until this close to its end and spins the rest (#spinUntil()).
 */
const DELAY_SPIN_MS = 0.1;

/** The executor. Its shared fields are documented once, in the Executor interface. */
export class CpuRuntime implements Executor {
  readonly id: number;
  cpu = -1;
  readonly i32: Int32Array;
  readonly config: KernelConfig;
  readonly env: CpuEnv;
  readonly #bootMs: number;
  readonly #doorbell: number;
  /** CPU_IRQ_PENDING of the home slot: this executor's timer line (kapi fast paths load it). */
  readonly irqPendingWord: number;
  needResched = false;

  current: Task | null = null;
  /** Pseudo task that owns irq-context lock acquisitions (ksoftirqd/N). */
  readonly irqTask: Task;
  runqueue: Task[] = [];
  selfPoll = false;
  readonly hooks: SchedHooks[] = [];
  /** The RCU sleep check (SchedHooks.sleepCheck, registered with PROVE_RCU), or null. */
  sleepCheck: (() => void) | null = null;
  #back: (() => void) | null = null;
  #doorbellSeen = -1;
  #lastLoopYield = 0;
  /** A word nobody notifies: a busy-wait with irqs off sleeps on it until its end. */
  readonly #delayWord = new Int32Array(new SharedArrayBuffer(4));

  irqsOff = false;
  hardirqCount = 0;
  softirqCount = 0;
  bhCount = 0;
  preemptCount = 0;

  #poweredOff = false;
  #heartbeat = 0;

  readonly tokens: RunTokens;
  readonly sleepers: Sleepers;
  readonly irqs: Interrupts;
  readonly hotplug: Hotplug;
  readonly #khungtaskd: Khungtaskd;
  /** The idle states' governor (poll, then halt): cpuidle_haltpoll.ts. */
  readonly haltpoll: HaltPoll;

  constructor(env: CpuEnv) {
    this.env = env;
    this.id = env.cpu;
    this.i32 = env.i32;
    this.config = env.config;
    this.#bootMs = env.bootMs;
    this.#doorbell = cpuWord(env.cpu, CPU_DOORBELL);
    this.irqPendingWord = cpuWord(env.cpu, CPU_IRQ_PENDING);
    this.irqTask = new Task(env.i32, 0, `ksoftirqd/${env.cpu}`, env.cpu, env.cpu, -1, async () => {});
    this.tokens = new RunTokens(this);
    this.sleepers = new Sleepers(this);
    this.irqs = new Interrupts(this);
    this.hotplug = new Hotplug(this);
    this.#khungtaskd = new Khungtaskd(this);
    this.haltpoll = new HaltPoll(haltPollParams(env.config.bootParams, env.config.nrCpus));
    // Boot: the home CPU's ticket 0 (zeroed memory is a free token), so boot() runs on it.
    this.tokens.take(env.cpu, true);
  }

  /* ---------------- time ---------------- */

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
    this.runqueue.push(t);
    return t;
  }

  async #runTask(t: Task): Promise<void> {
    try {
      await t.fn();
    } catch (err) {
      this.env.oops(err, `${t.comm}/${t.pid}`, false);
    }
    if (t.lockDepth > 0) this.env.taskExit(t);
    exitTaskPrio(this.i32, t.slot);
    t.state = 'exited';
    t.setSharedState('exited');
    // After the exited store: pairs with kthread_exited()'s load in a kthread_stop() waiter.
    kthreadExitNotify(this);
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

  oops(err: unknown, where: string, fatal: boolean): void {
    this.env.oops(err, where, fatal);
  }

  registerSchedHooks(h: SchedHooks): void {
    this.hooks.push(h);
    if (h.sleepCheck !== undefined) this.sleepCheck = h.sleepCheck;
  }

  #switchBack(): void {
    const back = this.#back;
    this.#back = null;
    this.current = null;
    back?.();
  }

  block(t: Task): Promise<void> {
    const p = new Promise<void>((r) => {
      t.resume = r;
    });
    this.#switchBack();
    return p;
  }

  /** in_atomic() || irqs_disabled(): preemption, bottom halves or irqs off, or in an interrupt. */
  inAtomic(): boolean {
    return this.irqsOff || this.preemptCount > 0 || this.hardirqCount > 0 || this.softirqCount > 0 || this.bhCount > 0;
  }

  checkMaySleep(t: Task): void {
    const atomic = this.inAtomic();
    if (atomic) {
      this.env.schedBug('atomic', t);
      // schedule_debug(): after the report the kernel resets the count (preempt_count_set()), and
      // irqs are on again after the switch, so the next task does not inherit the bug.
      this.preemptCount = 0;
      this.bhCount = 0;
      this.irqsOff = false;
    }
    // schedule_debug()'s rcu_sleep_check(), after the atomic check as there (PROVE_RCU; null without).
    if (this.sleepCheck !== null) this.sleepCheck();
    if (!atomic && t.rcuDepth > 0) this.env.schedBug('rcu', t);
  }

  /** might_sleep(): the caller may sleep here; atomic context is a bug even if it does not sleep. */
  mightSleep(): void {
    // __might_resched(): rcu_sleep_check() first (PROVE_RCU; null without).
    if (this.sleepCheck !== null) this.sleepCheck();
    if (this.inAtomic()) this.env.mightSleepBug(this.currentOrIrq());
  }

  taskOrThrow(): Task {
    const t = this.current;
    if (t === null || this.hardirqCount > 0 || this.softirqCount > 0) {
      throw new Error('sleeping call outside task context');
    }
    return t;
  }

  schedule(): Promise<void> {
    const t = this.taskOrThrow();
    this.checkMaySleep(t);
    t.state = 'runnable';
    t.preempted = false;
    this.runqueue.push(t);
    return this.block(t);
  }

  /* ---------------- preemption ---------------- */

  /**
   * preemptible(): PREEMPT=y, a task, preempt count 0, irqs on, not in interrupt, bottom halves on
   * (local_bh_disable() adds SOFTIRQ_DISABLE_OFFSET to the kernel's preempt count; bhCount is the
   * CPU's, so a task preempted with it raised would hand it to the next).
   */
  #preemptible(): boolean {
    return this.config.preempt && this.current !== null && !this.inAtomic();
  }

  /** preempt_schedule(): the running task goes to the back of the runqueue. */
  #preemptNow(): Promise<void> {
    const t = this.current as Task;
    t.state = 'runnable';
    t.preempted = true;
    this.runqueue.push(t);
    return this.block(t);
  }

  /**
   * udelay()/mdelay(): busy-wait `us` microseconds inside the task. Pending interrupts are taken
   * as it spins (unless irqs are off); with PREEMPT=y, where preemptible, every tick preempts it
   * (see below) and the rest of the delay runs when the task is back: the returned promise.
   * Null when the delay completed on the CPU.
   *
   * The CPU stays busy (its token held, no other task runs on it, no quiescent state), but the
   * host thread does not burn a host core meanwhile: it sleeps on its timer line until the tick
   * raises it or the delay is nearly over (#spinUntil()). The guest sees a busy-waiting CPU; the
   * host's other executors get the core (README, "Where the time goes").
   */
  delay(us: number): Promise<void> | null {
    const i32 = this.i32;
    const pend = this.irqPendingWord;
    const end = performance.now() + us / 1000;
    for (;;) {
      if (!this.#spinUntil(end, pend)) return null;
      this.takePendingInterrupts();
      // PREEMPT=y: a busy-wait gives up its CPU at every tick it takes, even when nothing else
      // of ours is runnable: the kernel's CPUs have more runnable tasks than the model's
      // (kworkers, ksoftirqd, rcuc), and a reader spinning in mdelay() is exactly what
      // rcutorture's long rcu_read_delay() is for: preempted inside its critical section, it is
      // a blocked reader that only a correct grace period waits for.
      if ((this.needResched || this.config.preempt) && this.#preemptible()) {
        const left = end - performance.now();
        return this.#preemptNow().then(() => {
          const p = this.delay(Math.max(0, left * 1000));
          return p ?? undefined;
        });
      }
      // Interrupts deferred (irqs off, or already in one): wait out the rest; the line stays raised.
      if (Atomics.load(i32, pend) !== 0) {
        this.#spinUntil(end, -1);
        return null;
      }
    }
  }

  /**
   * Busy-wait until `end` (performance.now() time) or until the timer line `pend` is raised (-1:
   * do not watch it). True when the line was raised first. Long waits sleep in Atomics.wait on
   * the line, woken by the APIC tick's notify (harness/guest/guest_main.ts) or the timeout, and
   * spin only the last DELAY_SPIN_MS, so the delay ends on time (a futex wake-up is late by tens
   * of microseconds) and the tick is taken as promptly as a spin would take it.
   */
  #spinUntil(end: number, pend: number): boolean {
    const i32 = this.i32;
    for (;;) {
      // Pairs with the Atomics.exchange of the guest main thread's APIC tick.
      if (pend >= 0 && Atomics.load(i32, pend) > 0) return true;
      const left = end - performance.now();
      if (left <= 0) return false;
      if (left <= DELAY_SPIN_MS) continue;
      if (pend < 0) {
        Atomics.wait(this.#delayWord, 0, 0, left - DELAY_SPIN_MS); // nobody notifies it: a timed sleep
        continue;
      }
      // -1 on the line: "asleep on it, notify me". The tick exchanges it for 1 and notifies only
      // then, so a tick that finds nobody asleep costs no notify. Taking -1 back (if the tick did
      // not come) leaves 0; a tick that came meanwhile left 1, which the CAS keeps.
      if (Atomics.compareExchange(i32, pend, 0, IRQ_LINE_SLEEPING) === 0) {
        takeForwarded(i32, this.id); // before we sleep (doorbell.ts, notifyBurst())
        Atomics.wait(i32, pend, IRQ_LINE_SLEEPING, left - DELAY_SPIN_MS);
        Atomics.compareExchange(i32, pend, IRQ_LINE_SLEEPING, 0);
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
    // The tick also bounds how long a notify left to us (notifyBurst()) waits while a task runs
    // on without a preemption point: one jiffy. Host work, so whatever the guest's irq state.
    takeForwarded(this.i32, this.id);
    if (this.irqsOff || this.hardirqCount > 0 || this.softirqCount > 0) return;
    Atomics.store(this.i32, this.irqPendingWord, 0);
    this.irqs.take();
  }

  preemptPoint(): Promise<void> | null {
    if (!this.config.preempt) return null;
    const t = this.current;
    if (t === null || this.inAtomic()) return null;
    if (this.runqueue.length === 0 && this.jiffies() === this.irqs.lastTickJ && Atomics.load(this.i32, this.#doorbell) === this.#doorbellSeen) {
      return null;
    }
    t.state = 'runnable';
    t.preempted = true;
    this.runqueue.push(t);
    return this.block(t);
  }

  /**
   * cond_resched(): a voluntary switch, PREEMPT_NONE included, once the tick has set
   * need_resched (Interrupts.take(): a runnable task here, or a waiter for our CPU's token). The
   * task goes to the back of the runqueue as after schedule(); the switch hands the token over
   * when its slice is over (#tokenSwitch()).
   */
  condResched(): Promise<void> | null {
    if (!this.needResched) return null;
    const t = this.current;
    // Not in atomic context (bottom halves off included: bhCount is the CPU's, the next task would inherit it).
    if (t === null || this.inAtomic() || t.rcuDepth > 0) return null;
    t.state = 'runnable';
    t.preempted = false;
    this.runqueue.push(t);
    return this.block(t);
  }

  /* ---------------- the loop ---------------- */

  /** Some runnable task may run on the CPU we hold. */
  #runnableHere(): boolean {
    const idle = this.tokens.shuffleIdle();
    for (const t of this.runqueue) if (t.allowedOn(this.cpu, idle)) return true;
    return false;
  }

  /**
   * The first runnable task that may run on the CPU we hold; while any task is real-time or
   * boosted, the best-prio one first (sched_prio.ts; one load otherwise).
   */
  #pickNext(): Task | null {
    if (this.cpu < 0) return null;
    const idle = this.tokens.shuffleIdle();
    if (rtPrioInUse(this.i32)) {
      const k = pickPrioIndex(this.i32, this.runqueue, (t) => t.allowedOn(this.cpu, idle));
      return k < 0 ? null : (this.runqueue.splice(k, 1)[0] as Task);
    }
    for (let k = 0; k < this.runqueue.length; k++) {
      const t = this.runqueue[k] as Task;
      if (!t.allowedOn(this.cpu, idle)) continue;
      this.runqueue.splice(k, 1);
      return t;
    }
    return null;
  }

  async #switchTo(t: Task): Promise<void> {
    const cpu = this.cpu;
    this.needResched = false;
    this.current = t;
    t.setCpu(cpu);
    t.state = 'running';
    // A khungtaskd probe (Sleepers.probe()) runs the task only to take its stack and put it back
    // to sleep: other executors gathering the hung tasks (khungtaskd.ts) must still see it asleep.
    if (!t.stackProbe) t.setSharedState('running');
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
      t.noteSwitch(t.preempted);
      for (const h of this.hooks) h.contextSwitch?.(t, t.rcuDepth, t.preempted);
    } else {
      for (const h of this.hooks) h.contextSwitch?.(t, 0, false);
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
    const head = this.runqueue[0];
    if (head !== undefined && (this.cpu < 0 || !head.allowedOn(this.cpu, this.tokens.shuffleIdle()))) {
      const c = this.tokens.selectCpu(head);
      if (c >= 0) return c;
    }
    // Due timers and raised softirqs run on any CPU (timers_dead_cpu()).
    if (this.cpu < 0 && (this.irqs.softirqPending || this.irqs.nextTimer() <= this.jiffies())) return this.tokens.selectCpu(null);
    return -1;
  }

  /** One pass's bookkeeping while we hold a CPU: its heartbeat, then its pending interrupts. */
  #beat(cpu: number): void {
    const i32 = this.i32;
    // The soft-lockup watchdog watches CPUs: their holder beats (only it writes the word).
    const hb = cpuWord(cpu, CPU_HEARTBEAT);
    i32[hb] = (i32[hb] ?? 0) + 1;
    if ((++this.#heartbeat & 63) === 0) Atomics.store(i32, cpuWord(cpu, CPU_HEARTBEAT_J), this.jiffies());
    Atomics.store(i32, this.irqPendingWord, 0);
    this.irqs.take();
  }

  /** The task switch's token moves: hand the CPU to a waiter, or go back home. */
  #tokenSwitch(): void {
    const tokens = this.tokens;
    // An executor waiting for our CPU gets it (FIFO) once our slice is over, whatever our tasks
    // hold; at once if we have nothing to run here.
    if (this.cpu >= 0 && tokens.waiters(this.cpu) && (tokens.sliceOver() || !this.#runnableHere())) {
      tokens.release();
    }
    // Back home when home is free and the next task may run there: executors share CPUs only
    // while they must (a head that may not run at home would send us away again: a livelock).
    const head = this.runqueue[0];
    if (
      this.cpu >= 0 &&
      this.cpu !== this.id &&
      !this.hotplug.dead &&
      tokens.free(this.id) &&
      (head === undefined || head.allowedOn(this.id, tokens.shuffleIdle()))
    ) {
      tokens.release();
      tokens.tryTake(this.id);
    }
  }

  /** Run until power-off. Resolves when the executor stops. */
  async run(stopped: () => boolean): Promise<void> {
    const { i32, tokens, sleepers } = this;
    for (;;) {
      // The notifies a waker left us (notifyBurst()) go out at every pass, not only at our next
      // halt: a woken executor that finds work runs on, and its second ring preempts the task
      // (preemptPoint()) back to here. And on the way out: a stopping executor leaves none.
      takeForwarded(i32, this.id);
      if (this.#poweredOff || stopped()) return;
      this.hotplug.handleCommand();
      const bell = Atomics.load(i32, this.#doorbell);
      const rung = bell !== this.#doorbellSeen || this.selfPoll;
      this.#doorbellSeen = bell;
      this.selfPoll = false;
      if (this.cpu >= 0) this.#beat(this.cpu);
      if (sleepers.externalSleepers > 0 && performance.now() - this.#lastLoopYield > 1) {
        // A foreign promise (a user's sleeping lock) settles only when this worker's event
        // loop turns; an executor that never idles must still let it turn.
        await new Promise<void>((r) => setImmediate(r));
        this.#lastLoopYield = performance.now();
      }
      sleepers.wakeSleepers(rung || this.selfPoll);
      // khungtaskd's period, on the jiffy the tick last saw (no clock read on this path).
      this.#khungtaskd.poll(this.cpu >= 0 ? this.irqs.lastTickJ : this.jiffies());
      this.#tokenSwitch();
      const want = this.#wantCpu();
      if (want < 0 || want === this.cpu) {
        const t = this.#pickNext();
        if (t !== null) {
          await this.#switchTo(t);
          continue;
        }
      } else {
        tokens.release();
        if (tokens.tryTake(want)) {
          if (!cpuOnlineIn(i32, want)) tokens.release(); // it went offline meanwhile
        } else tokens.take(want, false);
        continue;
      }
      // Nothing to run: idle at home, holding the home token when it is free.
      if (this.cpu >= 0 && this.cpu !== this.id) tokens.release();
      if (this.cpu < 0 && !this.hotplug.dead) tokens.tryTake(this.id);
      await this.#idle(bell);
    }
  }

  async #idle(seen: number): Promise<void> {
    const { tokens, sleepers } = this;
    const timeout = idleHaltMs(performance.now() - this.#bootMs, Math.min(sleepers.nextDeadline, this.irqs.nextTimer()));
    if (this.selfPoll || this.irqs.softirqPending) return;
    const cpu = this.cpu;
    if (cpu >= 0) {
      if (tokens.waiters(cpu)) return; // the loop hands it over
      Atomics.store(this.i32, cpuWord(cpu, CPU_IDLE), 1);
      for (const h of this.hooks) h.idleEnter?.();
    }
    if (sleepers.externalSleepers > 0) {
      // A foreign promise (user lock) settles only on the event loop: wait asynchronously (no
      // poll: the event loop must turn meanwhile).
      // Atomics.waitAsync() rounds its timeout to whole milliseconds (0.3 ms ends at once), so
      // this halt keeps whole jiffies: a fraction would spin the last half jiffy before a timer.
      await doorbellHaltAsync(this.i32, this.id, seen, Math.ceil(timeout));
    } else if (timeout > 0) {
      this.#cpuidle(seen, timeout);
    }
    if (cpu >= 0) {
      if (tokens.waiters(cpu)) {
        // Handed over idle: the next holder leaves the idle state for it (RunTokens.take()).
        tokens.release();
      } else {
        for (const h of this.hooks) h.idleExit?.();
        Atomics.store(this.i32, cpuWord(cpu, CPU_IDLE), 0);
      }
    }
    // Let the event loop breathe now and then (message flushing, waitAsync settlements).
    if (sleepers.externalSleepers > 0) await new Promise<void>((r) => setImmediate(r));
  }

  /**
   * cpuidle_idle_call() on the doorbell: the governor's state, poll (the doorbell moves under our
   * eyes: no host wake-up) then halt (Atomics.wait; a ring notifies). Only a CPU polls: an
   * executor without a token (its home CPU offline or taken) halts at once.
   */
  #cpuidle(seen: number, timeoutMs: number): void {
    const hp = this.haltpoll;
    if (!hp.enabled) {
      // No polling (the default on a host with fewer cores than CPUs): no governor to feed.
      // Pairs with ringCpu()'s Atomics.add + (flagged) notify on our doorbell.
      doorbellHalt(this.i32, this.id, seen, timeoutMs);
      return;
    }
    let left = timeoutMs;
    if (this.cpu >= 0 && hp.select() === 0) {
      const t0 = performance.now();
      if (hp.pollIdle(this.i32, this.#doorbell, seen, timeoutMs) === true) return;
      left -= performance.now() - t0;
      if (left <= 0) return;
    }
    const t1 = performance.now();
    // Pairs with ringCpu()'s Atomics.add + (flagged) notify on our doorbell.
    doorbellHalt(this.i32, this.id, seen, left);
    hp.halted((performance.now() - t1) * 1e6);
  }
}
