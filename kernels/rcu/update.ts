/*
 * kernel/rcu/update.c, the part TREE05.boot asks for: `rcupdate.rcu_self_test=1` queues an RCU
 * callback during boot (early_boot_test_call_rcu()) and, once the system runs,
 * rcu_verify_early_boot_tests() waits for it with rcu_barrier() and warns if it never ran.
 *
 * Not modelled: the synchronous self tests (boot() is not a task and cannot sleep), SRCU.
 */

import { kapi } from '../../harness/kapi.js';
import { WARN } from '../bug.js';
import { ModuleParams } from '../moduleparam.js';
import { rcu_callback } from './rcu_callback.js';
import { call_rcu, rcu_barrier } from './rcu.js';

export const rcupdate_params = new ModuleParams('rcupdate', ['rcu']);
const rcu_self_test = rcupdate_params.param('bool', 'rcu_self_test', false, 'Run the early-boot RCU self tests');

let rcu_self_test_counter = 0;

function test_callback(): void {
  rcu_self_test_counter++;
  kapi.printk(`RCU test callback executed ${rcu_self_test_counter}`);
}

/** rcu_early_boot_tests(): CPU 0's boot, after rcu_init(). Registers the callback on every CPU. */
export function rcu_early_boot_tests(cpu: number): void {
  const cb = rcu_callback('rcu_self_test.test_callback', test_callback);
  if (cpu !== 0 || !rcu_self_test.get()) return;
  kapi.printk('Running RCU self tests');
  call_rcu(0, cb);
  kapi.kthreadRun(rcu_verify_early_boot_tests, 'rcu_self_test');
}

/** rcu_verify_early_boot_tests(): the late_initcall half. */
async function rcu_verify_early_boot_tests(): Promise<void> {
  await rcu_barrier();
  if (rcu_self_test_counter !== 1) WARN(true, `rcu: early boot RCU callback ran ${rcu_self_test_counter} times`);
}
