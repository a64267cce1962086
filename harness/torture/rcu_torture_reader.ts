/*
 * rcu_torture_reader() (kernel/rcu/rcutorture.c): readers in tasks and, with irqreader, in
 * timer handlers, each read checking the current element's pipe age inside one read-side
 * critical section and counting it in this CPU's Reader Pipe / Reader Batch histograms.
 */

import { HZ, kapi, type TimerList } from '../kapi.js';
import { rcu_dereference_check } from '../../kernels/rcu/rcupdate_lockdep.js';
import {
  stutter_wait,
  torture_kthread_stopping,
  torture_must_stop,
  torture_random,
  torture_random_state,
  torture_sleep_interruptible,
  VERBOSE_TOROUT_STRING,
  type TortureRandomState,
} from './common.js';
import { torture_mdelay, torture_udelay } from './torture_delay.js';
import {
  E_MBTEST,
  E_PAYLOAD,
  E_PIPE,
  ew,
  PC_BATCH,
  PC_DOUBLES,
  PC_PIPE,
  PC_TIMERS,
  RCU_TORTURE_PIPE_LEN,
  RDR_ALLOC_EVERY,
  rcu_torture_rdr_alloc,
  sw,
  T_CURRENT,
  T_FWD_NODELAY,
  T_MBERROR,
  tt,
} from './rcu_torture_state.js';

/* ---------------- readers ---------------- */

/**
 * rcu_read_delay(): mostly nothing; sometimes a short busy delay that holds up the grace period,
 * rarely a long one (5 ms in interrupt context) to provoke force-quiescent-state scans; with
 * PREEMPT=y sometimes a preemption inside the reader. Returns the preemption to await, if any.
 */
function rcu_read_delay(rand: TortureRandomState, inIrq: boolean): Promise<void> | null {
  const t = tt();
  const shortdelay_us = 200;
  const longdelay_ms = inIrq ? 5 : 300;
  // mdelay()/udelay() spin inside the reader, taking interrupts; with PREEMPT=y the tick may
  // preempt the reader there (a promise): it is then a blocked reader holding up the GP. Both
  // last 1/torture.time_scale of the kernel's (torture_delay.ts).
  // The kernel's odds: 1 in nrealreaders * 2000 * longdelay_ms reads. (They were once 30 times
  // higher here, for readers that did ten thousand reads a second; at today's hundreds of
  // thousands a long reader held up most grace periods: harness/cpu/README.md, "Where the time goes".)
  // Not while a forward-progress test runs (rcu_fwd_cb_nodelay, rcu_torture_fwd_prog.ts).
  if (Atomics.load(kapi.shm, sw(T_FWD_NODELAY)) === 0 && torture_random(rand) % (t.nrealreaders * 2000 * longdelay_ms) === 0) {
    const p = torture_mdelay(longdelay_ms);
    if (p !== null) return p;
  }
  if (torture_random(rand) % (t.nrealreaders * 2 * shortdelay_us) === 0) {
    const p = torture_udelay(shortdelay_us);
    if (p !== null) return p;
  }
  if (!inIrq && torture_random(rand) % (t.nrealreaders * 500) === 0) return kapi.preemptPoint();
  return null;
}

/**
 * srcu_read_delay(): the read delay of sleepable readers (ops.read_delay: `srcu`, `srcud`, `tasks-tracing`): one read
 * in nrealreaders * 2 * longdelay * (us per tick) sleeps longdelay (10) jiffies inside the reader,
 * the others take rcu_read_delay(). Task context only (the kernel's in_task()).
 */
function srcu_read_delay(rand: TortureRandomState): Promise<unknown> | null {
  const longdelay = 10;
  const uspertick = 1000000 / HZ;
  if (torture_random(rand) % (tt().nrealreaders * 2 * longdelay * uspertick) === 0) return torture_sleep_interruptible(longdelay);
  return rcu_read_delay(rand, false);
}

function countRead(pipe: number, batch: number): void {
  const pc = tt().perCpu;
  const base = kapi.smpProcessorId() * PC_DOUBLES;
  pc[base + PC_PIPE + pipe] = (pc[base + PC_PIPE + pipe] ?? 0) + 1;
  pc[base + PC_BATCH + batch] = (pc[base + PC_BATCH + batch] ?? 0) + 1;
}

/** The part of a read after the delay: pipe age and GP count, into this CPU's histograms. */
function rcu_torture_read_finish(p: number, started: number): number {
  const t = tt();
  let pipe = Atomics.load(kapi.shm, ew(p, E_PIPE));
  if (pipe > RCU_TORTURE_PIPE_LEN) pipe = RCU_TORTURE_PIPE_LEN;
  let completed = t.ops.gp_diff(t.ops.get_gp_seq(), started);
  if (completed > RCU_TORTURE_PIPE_LEN) completed = RCU_TORTURE_PIPE_LEN;
  if (completed < 0) completed = 0;
  countRead(pipe, completed);
  return pipe;
}

/** rcu_torture_one_read()'s rcu_dereference_check() condition: `!cur_ops->readlock_held || cur_ops->readlock_held()`. */
function rcu_torture_readlock_held(): boolean {
  const held = tt().ops.readlock_held;
  return held === undefined || held();
}

/**
 * The start of rcu_torture_one_read(): enter the reader, note the GP sequence, pick up the current
 * element and check its mbtest. Null (reader already left) when there is no element yet.
 */
function rcu_torture_read_begin(): { idx: number; started: number; p: number } | null {
  const t = tt();
  const idx = t.ops.readlock();
  const started = t.ops.get_gp_seq();
  const p = rcu_dereference_check(Atomics.load(kapi.shm, sw(T_CURRENT)), rcu_torture_readlock_held);
  if (p < 0) {
    t.ops.readunlock(idx);
    return null;
  }
  if (Atomics.load(kapi.shm, ew(p, E_MBTEST)) === 0) Atomics.add(kapi.shm, sw(T_MBERROR), 1);
  // A payload that no longer names its element was freed (and reused) under this reader.
  const pl = Atomics.load(kapi.shm, ew(p, E_PAYLOAD));
  if (pl !== 0 && Atomics.load(kapi.shm, pl / 4) !== p) Atomics.add(kapi.shm, sw(T_MBERROR), 1);
  return { idx, started, p };
}

/** A reader's read count, for its every-RDR_ALLOC_EVERY-reads allocation. */
export interface ReadCount {
  n: number;
}

/** rcu_torture_one_read() for a task: may be preempted inside the reader (PREEMPT=y). */
export async function rcu_torture_one_read(rand: TortureRandomState, rc: ReadCount): Promise<boolean> {
  const r = rcu_torture_read_begin();
  if (r === null) return false;
  const pre = tt().ops.read_delay === 'srcu_read_delay' ? srcu_read_delay(rand) : rcu_read_delay(rand, false);
  if (pre !== null) await pre;
  const pipe = rcu_torture_read_finish(r.p, r.started);
  tt().ops.readunlock(r.idx);
  if (++rc.n % RDR_ALLOC_EVERY === 0) rcu_torture_rdr_alloc(pipe);
  return true;
}

/** rcu_torture_one_read() in a timer handler (softirq context: never sleeps). */
function rcu_torture_one_read_irq(rand: TortureRandomState, rc: ReadCount): boolean {
  const r = rcu_torture_read_begin();
  if (r === null) return false;
  rcu_read_delay(rand, true);
  const pipe = rcu_torture_read_finish(r.p, r.started);
  tt().ops.readunlock(r.idx);
  if (++rc.n % RDR_ALLOC_EVERY === 0) rcu_torture_rdr_alloc(pipe);
  return true;
}

/** rcu_torture_reader(): reader `myid` (0-based). */
export async function rcu_torture_reader(myid: number): Promise<void> {
  const t = tt();
  const rand = torture_random_state();
  const irqRand = torture_random_state();
  let timer: TimerList | null = null;
  const reads: ReadCount = { n: 0 };
  const irqReads: ReadCount = { n: 0 };
  VERBOSE_TOROUT_STRING('rcu_torture_reader task started');
  if (t.p.irqreader !== 0 && t.ops.irq_capable) {
    timer = kapi.timerSetup(() => {
      const base = kapi.smpProcessorId() * PC_DOUBLES;
      t.perCpu[base + PC_TIMERS] = (t.perCpu[base + PC_TIMERS] ?? 0) + 1;
      rcu_torture_one_read_irq(irqRand, irqReads);
    });
  }
  let lastsleep = kapi.jiffies();
  do {
    if (timer !== null && !timer.pending) kapi.modTimer(timer, kapi.jiffies() + 1);
    if (!(await rcu_torture_one_read(rand, reads)) && !torture_must_stop()) await torture_sleep_interruptible(HZ);
    // stutter_wait()'s cond_resched_tasks_rcu_qs(): with PREEMPT_NONE a QS for RCU (rcu_all_qs()),
    // and a switch when the tick asked for one, as in the kernel.
    t.ops.cond_resched_qs();
    const cr = kapi.condResched();
    if (cr !== null) await cr;
    if (kapi.jiffies() > lastsleep && !torture_must_stop()) {
      // 6.12's torture_hrtimeout_us(500, 1000, &rand): 500 µs plus a fuzz under 1 µs (the second
      // argument is nanoseconds, kernel/torture.c). The rest of the current jiffy ((0, 1] ms at
      // HZ=1000) has the same 0.5 ms mean; the fuzz's draw is kept so the reader's random stream
      // advances as the kernel's.
      torture_random(rand);
      await kapi.scheduleTimeout(1);
      lastsleep = kapi.jiffies() + 10;
    }
    // As the kernel's readers: reader N rests while fewer than N CPUs are online, so that CPU
    // hotplug does not pile every reader onto the CPUs left.
    while (kapi.numOnlineCpus() < myid && !torture_must_stop()) await torture_sleep_interruptible(HZ / 5);
    await stutter_wait('rcu_torture_reader');
  } while (!torture_must_stop());
  if (timer !== null) kapi.delTimer(timer);
  torture_kthread_stopping('rcu_torture_reader');
}
