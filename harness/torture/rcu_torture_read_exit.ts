/*
 * rcutorture's read-exit test (kernel/rcu/rcutorture.c rcu_torture_read_exit*): a kthread that
 * every `read_exit_delay` seconds spawns `read_exit_burst` child kthreads one after the other; each
 * child waits to be stopped, does one rcutorture read (a full reader with the pipe check) and
 * exits, while its parent's kthread_stop() waits for the exit. An rcu_barrier() ends each episode.
 * The stats line's `read-exits:` counts the children reaped.
 *
 * What it exercises here: task creation and exit with RCU readers in flight, the exit of a task
 * right after its reader (a preempted reader's blocked-task bookkeeping must not outlive it) and
 * kthread_stop()'s wait. The children are plain kthreads (kthread_run()), not torture kthreads:
 * the parent reaps each one before it starts the next, as the kernel's; cleanup stops the parent.
 * Not modelled: set_user_nice() (no priorities).
 */

import { HZ, kapi } from '../kapi.js';
import { kthread_stop } from '../../kernels/kthread.js';
import {
  stutter_wait,
  torture_create_kthread,
  torture_kthread_stopping,
  torture_must_stop,
  torture_random_state,
  torture_spread_here,
  VERBOSE_TOROUT_STRING,
  type TortureRandomState,
} from './common.js';
import { rcu_torture_one_read, type ReadCount } from './rcu_torture_reader.js';
import { sw, T_READ_EXIT_CHILD_STOP, T_READ_EXITS, tt } from './rcu_torture_state.js';

export interface ReadExitParams {
  readonly read_exit_delay: number;
  readonly read_exit_burst: number;
}

/** rcu_torture_read_exit_child(): wait to be stopped, then one reader, then exit. */
async function rcu_torture_read_exit_child(trs: TortureRandomState): Promise<void> {
  // Minimize time between reading and exiting. Pairs with the parent's store before kthread_stop().
  while (Atomics.load(kapi.shm, sw(T_READ_EXIT_CHILD_STOP)) === 0) await kapi.scheduleTimeout(HZ / 20);
  const rc: ReadCount = { n: 0 };
  await rcu_torture_one_read(trs, rc);
}

/** rcu_torture_read_exit(): the parent kthread. */
async function rcu_torture_read_exit(p: ReadExitParams): Promise<void> {
  const trs = torture_random_state();
  VERBOSE_TOROUT_STRING('rcu_torture_read_exit: Start of test');
  do {
    VERBOSE_TOROUT_STRING('rcu_torture_read_exit: Start of episode');
    for (let i = 0; i < p.read_exit_burst; i++) {
      if (torture_must_stop()) break;
      await stutter_wait('rcu_torture_read_exit');
      Atomics.store(kapi.shm, sw(T_READ_EXIT_CHILD_STOP), 0);
      const tsp = kapi.kthreadRun(() => rcu_torture_read_exit_child(trs), 'rcu_torture_read_exit_child');
      const cr = kapi.condResched();
      if (cr !== null) await cr;
      Atomics.store(kapi.shm, sw(T_READ_EXIT_CHILD_STOP), 1); // kthread_stop()'s KTHREAD_SHOULD_STOP
      await kthread_stop(tsp.pid);
      Atomics.add(kapi.shm, sw(T_READ_EXITS), 1);
    }
    VERBOSE_TOROUT_STRING('rcu_torture_read_exit: End of episode');
    await tt().ops.cb_barrier?.(); // Wait for task_struct free, avoid OOM.
    for (let i = 0; !torture_must_stop() && i < p.read_exit_delay; i++) await kapi.scheduleTimeout(HZ);
  } while (!torture_must_stop());
  torture_kthread_stopping('rcu_torture_read_exit');
}

/** rcu_torture_read_exit_init(): on every CPU at boot; the kthread starts where torture_spread_here() says. */
export function rcu_torture_read_exit_init(p: ReadExitParams): void {
  if (p.read_exit_burst <= 0) return;
  if (torture_spread_here()) torture_create_kthread(() => rcu_torture_read_exit(p), 'rcu_torture_read_exit');
}
