/*
 * Tasks Rude RCU (kernel/rcu/tasks.h, "Rude variant of Tasks RCU"): a grace period is
 * schedule_on_each_cpu(rcu_tasks_be_rude): an empty work item run on every online CPU, so every
 * CPU has switched since the grace period began and any preempt-disabled region that was running
 * there has ended (rcutorture's `tasks-rude` readers are preempt_disable() regions).
 *
 * The model's workqueue: one worker kthread per CPU (`kworker/N`), bound to it (kthread_bind():
 * it runs only there and parks while the CPU is offline), created at each CPU's boot. The grace
 * period bumps the request number, wakes the workers and waits until every CPU's worker has
 * seen it or the CPU is offline (schedule_on_each_cpu() holds cpus_read_lock(); the model's wait
 * re-checks the online mask every jiffy instead: an offline CPU runs no reader). There is no
 * call_rcu_tasks_rude() in 6.12 (it became static): synchronize_rcu_tasks_rude() is the API.
 */

import { COV, cov, HZ, kapi, type ShmRegion, type WaitQueueHead } from '../../harness/kapi.js';
import { rcu_tasks_count_ipi, rcu_tasks_init, rcu_spawn_tasks_kthread_generic, show_rcu_tasks_generic_gp_kthread, synchronize_rcu_tasks_generic, type RcuTasks } from './tasks.js';

/* Shared words: the request number, the workers' wait queue, the waiter's, then per CPU the request each worker last ran. */
const W_REQ = 0;
const W_WORK_WQ = 1;
const W_DONE_WQ = 2;
const W_DONE = 4;

let rcu_tasks_rude: RcuTasks | null = null;
let work: ShmRegion | null = null;

function R(): RcuTasks {
  if (rcu_tasks_rude === null) throw new Error('Tasks Rude RCU used before rcu_tasks_rude_init()');
  return rcu_tasks_rude;
}

function W(): ShmRegion {
  if (work === null) throw new Error('Tasks Rude RCU used before rcu_tasks_rude_init()');
  return work;
}

function wq(w: number): WaitQueueHead {
  return { i32: kapi.shm, index: W().base + w };
}

/** rcu_tasks_be_rude(): empty; that it ran on this CPU is the point. */
function rcu_tasks_be_rude(): void {
  cov(COV.rcu_tasks_rude_work);
}

/** The worker of CPU `cpu`: runs each request once, on its CPU. */
async function rude_worker(cpu: number): Promise<void> {
  const i32 = kapi.shm;
  const base = W().base;
  for (;;) {
    await kapi.waitEventInterruptible(wq(W_WORK_WQ), () => Atomics.load(i32, base + W_REQ) !== Atomics.load(i32, base + W_DONE + cpu));
    const req = Atomics.load(i32, base + W_REQ);
    rcu_tasks_be_rude();
    // After the work ran here: pairs with the waiter's load in schedule_on_each_cpu().
    Atomics.store(i32, base + W_DONE + cpu, req);
    kapi.wakeUp(wq(W_DONE_WQ));
  }
}

/** schedule_on_each_cpu(rcu_tasks_be_rude): the work run on every online CPU. */
async function schedule_on_each_cpu(): Promise<void> {
  const i32 = kapi.shm;
  const base = W().base;
  const req = Atomics.add(i32, base + W_REQ, 1) + 1;
  kapi.wakeUp(wq(W_WORK_WQ));
  const done = (): boolean => {
    for (let c = 0; c < kapi.nrCpuIds; c++) if (kapi.cpuOnline(c) && Atomics.load(i32, base + W_DONE + c) !== req) return false;
    return true;
  };
  while (!(await kapi.waitEvent(wq(W_DONE_WQ), done, 1))) {
    // A CPU that went offline meanwhile is skipped at the next check.
  }
}

/** rcu_tasks_rude_wait_gp(). */
async function rcu_tasks_rude_wait_gp(rtp: RcuTasks): Promise<void> {
  for (let c = 0; c < kapi.nrCpuIds; c++) if (kapi.cpuOnline(c)) rcu_tasks_count_ipi(rtp, false);
  await schedule_on_each_cpu();
}

/** Every CPU's boot: the shared state, this CPU's worker, and on CPU 0 the GP kthread. */
export function rcu_tasks_rude_init(cpu: number): void {
  if (rcu_tasks_rude !== null) return;
  work = kapi.shmAlloc('rcu_tasks_rude.work', W_DONE + kapi.nrCpuIds);
  rcu_tasks_rude = rcu_tasks_init('rcu_tasks_rude', 'RCU Tasks Rude', HZ / 10, rcu_tasks_rude_wait_gp);
  const t = kapi.kthreadRun(() => rude_worker(cpu), `kworker/${cpu}`);
  kapi.kthreadBind(t, cpu);
  if (cpu === 0) rcu_spawn_tasks_kthread_generic(rcu_tasks_rude);
}

export async function synchronize_rcu_tasks_rude(): Promise<void> {
  await synchronize_rcu_tasks_generic(R());
}

export function rcu_tasks_rude_gp(): RcuTasks {
  return R();
}

/** show_rcu_tasks_rude_gp_kthread(). */
export function show_rcu_tasks_rude_gp_kthread(): string {
  return show_rcu_tasks_generic_gp_kthread(R(), '');
}
