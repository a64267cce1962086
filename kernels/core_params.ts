/*
 * The kernel's boot parameters without a module prefix (early_param()/__setup() in init/main.c,
 * kernel/smp.c, kernel/hung_task.c, kernel/watchdog.c) and ours for the scheduler model. They are
 * declared here, not beside one kernel module, because their readers are the machine itself: the
 * driver sizes the guest from maxcpus=/nr_cpus= (harness/config/scenario.ts), the CPU runtime
 * watches for hung tasks and loses run tokens (harness/cpu/), the guest's watchdog reads
 * watchdog_thresh (harness/guest/), and Tree RCU's stall timeout follows hung_task_timeout_secs.
 */

import { ModuleParams } from './moduleparam.js';

export const core_params = new ModuleParams('');
/** init/main.c: CPUs brought up at boot (the guest's CPU count here). */
export const maxcpus = core_params.param('int', 'maxcpus', 8192, 'CPUs brought up at boot', { min: 1 });
/** kernel/smp.c: the most CPUs the kernel will ever have. */
export const nr_cpus = core_params.param('int', 'nr_cpus', 8192, 'CPUs the kernel may ever have', { min: 1 });
/** kernel/hung_task.c: seconds in D state before a task is reported hung (0 disables). */
export const hung_task_timeout_secs = core_params.param('uint', 'hung_task_timeout_secs', 10, 'Seconds in D state before a hung-task report (0 disables)');
/** kernel/watchdog.c: a soft lockup is 2 * watchdog_thresh seconds without progress. */
export const watchdog_thresh = core_params.param('int', 'watchdog_thresh', 10, 'Soft-lockup threshold / 2, in seconds', { min: 1 });

export const sched_params = new ModuleParams('sched');
/** Planted bug (ours): every N-th run-token hand-off to a waiting executor is lost (harness/cpu/). */
export const test_lost_token = sched_params.param('uint', 'test_lost_token', 0, 'Lose every N-th run-token hand-off (0: never)');
