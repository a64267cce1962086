/*
 * An executor's interrupt context: the scheduler tick (hardirq, once per jiffy), its timers and
 * the softirqs raised on it (harness/cpu/README.md, "Interrupts", says where they run). Timers and
 * softirq handlers are closures, so they belong to the executor, not to a CPU: they run on
 * whichever CPU it holds when they run. Its own class because it owns the timer list, the pending
 * softirq mask and the tick's jiffy; the irq counters it raises are the runtime's (kapi fast
 * paths read them there).
 */

import { SOFTIRQ_BIT, type SoftirqNr, type TimerList } from '../kapi.js';
import type { Executor } from './executor.js';

class Timer implements TimerList {
  expires = 0;
  pending = false;
  readonly fn: () => void;
  constructor(fn: () => void) {
    this.fn = fn;
  }
}

export class Interrupts {
  readonly #rt: Executor;
  #timers: Timer[] = [];
  #softirqPending = 0;
  #softirqHandlers = new Map<SoftirqNr, () => void>();
  /** The jiffy of the last tick (-1 before the first): khungtaskd and sleeps read it, no clock read. */
  lastTickJ = -1;

  constructor(rt: Executor) {
    this.#rt = rt;
  }

  /** A softirq is raised and not yet run. */
  get softirqPending(): boolean {
    return this.#softirqPending !== 0;
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

  /** The earliest timer's expiry in jiffies, Infinity for none. */
  nextTimer(): number {
    let next = Infinity;
    for (const t of this.#timers) if (t.expires < next) next = t.expires;
    return next;
  }

  /** Scheduler tick (hardirq) once per jiffy, then pending softirqs. The caller holds a token. */
  take(): void {
    const rt = this.#rt;
    const j = rt.jiffies();
    if (j !== this.lastTickJ) {
      this.lastTickJ = j;
      rt.hardirqCount++;
      try {
        for (const h of rt.hooks) h.tick?.();
      } catch (err) {
        rt.oops(err, 'scheduler_tick', true);
      } finally {
        rt.hardirqCount--;
      }
      for (const t of this.#timers) {
        if (t.expires <= j) {
          this.#softirqPending |= SOFTIRQ_BIT.TIMER_SOFTIRQ;
          break;
        }
      }
      // The kernel's timer interrupt wakes the sleepers whose timeout expired (hrtimer_wakeup(),
      // process_timeout(): try_to_wake_up() from irq), so the tick sees them runnable; and a task
      // woken on this CPU is runnable at once (try_to_wake_up() enqueues it, check_preempt_curr()
      // sets need_resched), while the model moves it to the runqueue only at the loop's next
      // wakeSleepers() (selfPoll). Without both, a PREEMPT_NONE task that never sleeps and only
      // cond_resched()s kept them off the CPU on a uniprocessor: rcutorture's fwd_prog_nr loop
      // starved the writer on Tiny RCU, and the call_srcu() flood starved Tiny SRCU's GP work.
      rt.sleepers.wakeSleepers(false);
      if (rt.runqueue.length > 0 || rt.selfPoll || rt.tokens.waiters(rt.cpu)) rt.needResched = true;
    }
    // irq_exit(): softirqs run unless bottom halves are disabled (in_interrupt()).
    if (this.#softirqPending !== 0 && rt.bhCount === 0 && rt.softirqCount === 0) this.#doSoftirq();
  }

  /** local_bh_enable() reaching 0: run what was raised meanwhile (do_softirq()). */
  softirqsReenabled(): void {
    const rt = this.#rt;
    if (this.#softirqPending !== 0 && !rt.irqsOff && rt.hardirqCount === 0 && rt.softirqCount === 0) this.#doSoftirq();
  }

  #doSoftirq(): void {
    const rt = this.#rt;
    rt.softirqCount++;
    try {
      for (let rounds = 0; this.#softirqPending !== 0 && rounds < 10; rounds++) {
        const pending = this.#softirqPending;
        this.#softirqPending = 0;
        if (pending & SOFTIRQ_BIT.TIMER_SOFTIRQ) this.#runTimers();
        if (pending & SOFTIRQ_BIT.RCU_SOFTIRQ) this.#softirqHandlers.get('RCU_SOFTIRQ')?.();
      }
    } catch (err) {
      rt.oops(err, 'softirq', true);
    } finally {
      rt.softirqCount--;
    }
  }

  #runTimers(): void {
    const j = this.#rt.jiffies();
    const due = this.#timers.filter((t) => t.expires <= j);
    if (due.length === 0) return;
    this.#timers = this.#timers.filter((t) => t.expires > j);
    for (const t of due) {
      t.pending = false;
      t.fn();
    }
  }
}
