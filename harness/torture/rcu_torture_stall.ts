/*
 * rcutorture's CPU-stall test (kernel/rcu/rcutorture.c rcu_torture_stall(), rcu_torture_stall_one()):
 * after stall_cpu_holdoff seconds, one kthread enters an RCU reader and keeps its CPU for
 * stall_cpu seconds with preemption disabled (irqs disabled too with stall_cpu_irqsoff=1 on the
 * first episode; with stall_cpu_block=1 it sleeps inside the reader instead), stall_cpu_repeat
 * more times. RCU's stall warning (kernels/rcu/tree_stall.ts) is the expected result. With
 * stall_gp_kthread=S each episode first makes the grace-period kthread sleep S seconds
 * (rcu_gp_set_torture_wait()): a GP then stalls with its kthread starved.
 *
 * The CPU stays busy the way this machine keeps a CPU busy without yielding to another task: the
 * worker thread waits in short paravirt slices (kapi.spinWait) on a private word, so neither its
 * other tasks nor its between-task interrupts run, as on a CPU spinning with preemption off.
 * The kthread runs on the highest-numbered CPU: CPU 0 keeps the GP kthread, so the report names
 * the stalled CPU rather than a starved GP kthread (the kernel's placement is arbitrary).
 */

import { HZ, kapi } from '../kapi.js';
import type { RcuTortureOps } from '../../kernels/rcu/rcu_torture_ops.js';
import { VERBOSE_TOROUT_STRING, torture_create_kthread, torture_must_stop, torture_sleep_interruptible } from './common.js';

/** Longest single wait of the stalled worker, so that a stop request is noticed. */
const STALL_SLICE_MS = 10;

export interface StallParams {
  readonly stall_cpu: number;
  readonly stall_cpu_holdoff: number;
  readonly stall_cpu_irqsoff: number;
  readonly stall_cpu_block: number;
  readonly stall_cpu_repeat: number;
  readonly stall_gp_kthread: number;
}

/** rcu_torture_stall_one(): one stall episode. */
async function rcu_torture_stall_one(p: StallParams, ops: RcuTortureOps, rep: number, irqsoff: boolean): Promise<void> {
  if (p.stall_cpu_holdoff > 0) {
    VERBOSE_TOROUT_STRING('rcu_torture_stall begin holdoff');
    await torture_sleep_interruptible(p.stall_cpu_holdoff * HZ);
    VERBOSE_TOROUT_STRING('rcu_torture_stall end holdoff');
  }
  if (!torture_must_stop() && p.stall_gp_kthread > 0) {
    // The GP kthread sleeps stall_gp_kthread seconds at its next wait: RCU's stall warning then
    // reports it starved (kernels/rcu/tree_stall.ts), not a CPU.
    VERBOSE_TOROUT_STRING('rcu_torture_stall begin GP stall');
    ops.gp_set_torture_wait?.(p.stall_gp_kthread * HZ);
    for (let i = 0; i < p.stall_gp_kthread + 2; i++) {
      if (torture_must_stop()) break;
      await kapi.scheduleTimeout(HZ);
    }
  }
  if (torture_must_stop() || p.stall_cpu <= 0) return;
  VERBOSE_TOROUT_STRING('rcu_torture_stall begin CPU stall');
  const stop_at = kapi.jiffies() + p.stall_cpu * HZ;
  const spin = kapi.shmAlloc(`rcu_torture_stall.spin.${kapi.smpProcessorId()}`, 1);
  // RCU CPU stall is expected behavior in the following code.
  const idx = ops.readlock();
  if (irqsoff) kapi.localIrqDisable();
  else if (p.stall_cpu_block === 0) kapi.preemptDisable();
  kapi.printk(`rcu_torture_stall_one start stall episode ${rep + 1} on CPU ${kapi.smpProcessorId()}.`);
  while (kapi.jiffies() < stop_at && !torture_must_stop()) {
    if (p.stall_cpu_block !== 0) {
      // CONFIG_PREEMPTION: preempt_schedule(); else schedule_timeout_uninterruptible(HZ).
      const pp = kapi.preemptPoint();
      if (pp !== null) await pp;
      else await kapi.scheduleTimeout(HZ);
    } else {
      // Nobody writes this word: each call is a bounded busy wait of the worker.
      kapi.spinWait(kapi.shm, spin.base, 0, Math.min(STALL_SLICE_MS, Math.max(1, stop_at - kapi.jiffies())));
    }
  }
  if (irqsoff) kapi.localIrqEnable();
  else if (p.stall_cpu_block === 0) kapi.preemptEnable();
  ops.readunlock(idx);
}

/** rcu_torture_stall(): the kthread. */
async function rcu_torture_stall(p: StallParams, ops: RcuTortureOps): Promise<void> {
  VERBOSE_TOROUT_STRING('rcu_torture_stall task started');
  for (let i = 0; i <= p.stall_cpu_repeat; i++) {
    if (torture_must_stop()) break;
    await rcu_torture_stall_one(p, ops, i, i === 0 && p.stall_cpu_irqsoff !== 0);
  }
  kapi.printk('rcu_torture_stall end.');
  while (!torture_must_stop()) await torture_sleep_interruptible(10 * HZ);
}

/** rcu_torture_stall_init(): spawn the kthread on its CPU, if stall_cpu or stall_gp_kthread is set. */
export function rcu_torture_stall_init(cpu: number, p: StallParams, ops: RcuTortureOps): void {
  if ((p.stall_cpu <= 0 && p.stall_gp_kthread <= 0) || cpu !== kapi.nrCpuIds - 1) return;
  torture_create_kthread(() => rcu_torture_stall(p, ops), 'rcu_torture_stall');
}
