/*
 * The 6.12 kernel's rcutorture parameters as data (kernel/rcu/rcutorture.c: its torture_param()
 * lines plus module_param(torture_type), and rcu_torture_print_module_parms()'s order), for the
 * tests that hold harness/torture/rcu_torture.ts to them.
 */
import { rcutorture_params } from '../rcu_torture.js';

/** 6.12's torture_param()s, in the file's (alphabetical) order, and torture_type. */
export const KERNEL_6_12_PARAMS = [
  'extendables', 'fqs_duration', 'fqs_holdoff', 'fqs_stutter', 'fwd_progress', 'fwd_progress_div',
  'fwd_progress_holdoff', 'fwd_progress_need_resched', 'gp_cond', 'gp_cond_exp', 'gp_cond_full',
  'gp_cond_exp_full', 'gp_exp', 'gp_normal', 'gp_poll', 'gp_poll_exp', 'gp_poll_full', 'gp_poll_exp_full',
  'gp_sync', 'irqreader', 'leakpointer', 'n_barrier_cbs', 'nfakewriters', 'nreaders', 'object_debug',
  'onoff_holdoff', 'onoff_interval', 'nocbs_nthreads', 'nocbs_toggle', 'read_exit_delay', 'read_exit_burst',
  'shuffle_interval', 'shutdown_secs', 'stall_cpu', 'stall_cpu_holdoff', 'stall_no_softlockup',
  'stall_cpu_irqsoff', 'stall_cpu_block', 'stall_cpu_repeat', 'stall_gp_kthread', 'stat_interval',
  'stutter', 'test_boost', 'test_boost_duration', 'test_boost_interval', 'test_nmis', 'test_no_idle_hz',
  'test_srcu_lockdep', 'verbose', 'torture_type',
] as const;

/** The names of 6.12's rcu_torture_print_module_parms(), in its order (test_boost prints as N/can_boost). */
export const KERNEL_PRINT_ORDER = [
  'nreaders', 'nfakewriters', 'stat_interval', 'verbose', 'test_no_idle_hz', 'shuffle_interval', 'stutter',
  'irqreader', 'fqs_duration', 'fqs_holdoff', 'fqs_stutter', 'test_boost', 'test_boost_interval',
  'test_boost_duration', 'shutdown_secs', 'stall_cpu', 'stall_cpu_holdoff', 'stall_cpu_irqsoff',
  'stall_cpu_block', 'stall_cpu_repeat', 'n_barrier_cbs', 'onoff_interval', 'onoff_holdoff',
  'read_exit_delay', 'read_exit_burst', 'nocbs_nthreads', 'nocbs_toggle', 'test_nmis',
] as const;

const decl = (name: string) => rcutorture_params.all.find((d) => d.name === `rcutorture.${name}`);

/** The kernel's print order, less what this model refuses: what `Start of test` must name. */
export function expectedPrintNames(): string[] {
  return KERNEL_PRINT_ORDER.filter((n) => decl(n)?.refused === undefined);
}
