/*
 * Every rcutorture parameter of the 6.12 kernel is honoured or refused: the kernel's list is data
 * here (the torture_param() lines of kernel/rcu/rcutorture.c, plus module_param(torture_type)),
 * and each must be declared (harness/torture/rcu_torture.ts, or a file beside it for a test of its own). The `Start of test` line follows
 * the kernel's rcu_torture_print_module_parms() format, leaving out what is refused (its order
 * is checked on a real run in rcu_torture_fwd_prog.test.ts, against KERNEL_PRINT_ORDER).
 */
import { describe, expect, it } from 'vitest';
import { DECLARED_PARAMS } from '../config/boot_params.js';
import { expectedPrintNames, KERNEL_6_12_PARAMS } from './test_support/rcu_torture_kernel_params.js';

// Every `rcutorture.` declaration, wherever it sits (test_srcu_lockdep is beside its reader,
// rcu_torture_srcu_lockdep.ts; test_prove_rcu beside its own).
const decl = (name: string) => DECLARED_PARAMS.find((d) => d.name === `rcutorture.${name}`);


describe('rcutorture parameters (6.12)', () => {
  it('every torture_param() of 6.12 is declared, honoured or refused', () => {
    expect(KERNEL_6_12_PARAMS).toHaveLength(50);
    expect(KERNEL_6_12_PARAMS.filter((n) => decl(n) === undefined)).toEqual([]);
  });

  it('the tests this issue adds are honoured; what the model lacks is refused, saying so', () => {
    const honoured = ['fwd_progress', 'fwd_progress_div', 'fwd_progress_holdoff', 'fwd_progress_need_resched', 'read_exit_delay', 'read_exit_burst', 'fqs_duration', 'fqs_holdoff', 'fqs_stutter', 'stall_gp_kthread'];
    expect(honoured.filter((n) => decl(n)?.refused !== undefined)).toEqual([]);
    for (const n of ['test_boost', 'test_boost_interval', 'test_boost_duration']) expect(decl(n)?.refused).toBe('needs real-time priority boosting, which the model lacks');
    for (const n of ['nocbs_nthreads', 'nocbs_toggle']) expect(decl(n)?.refused).toMatch(/lacks callback offloading/);
    for (const n of ['gp_cond_full', 'gp_poll_full', 'gp_cond_exp', 'gp_poll_exp', 'gp_cond_exp_full', 'gp_poll_exp_full']) expect(decl(n)?.refused).toMatch(/full-state and expedited polled/);
  });

  it('Start of test names the kernel print line less the refused ones, and nothing the kernel does not print', () => {
    const names = expectedPrintNames();
    expect(names).toEqual([
      'nreaders', 'nfakewriters', 'stat_interval', 'verbose', 'test_no_idle_hz', 'shuffle_interval', 'stutter',
      'irqreader', 'fqs_duration', 'fqs_holdoff', 'fqs_stutter', 'shutdown_secs', 'stall_cpu', 'stall_cpu_holdoff',
      'stall_cpu_irqsoff', 'stall_cpu_block', 'stall_cpu_repeat', 'n_barrier_cbs', 'onoff_interval', 'onoff_holdoff',
      'read_exit_delay', 'read_exit_burst',
    ]);
  });
});
