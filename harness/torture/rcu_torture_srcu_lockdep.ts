/*
 * rcu_torture_init_srcu_lockdep() (kernel/rcu/rcutorture.c, 6.12): `rcutorture.test_srcu_lockdep=DNNL`
 * runs one SRCU deadlock scenario at rcutorture's start so that lockdep proves it sees SRCU:
 *   D   1: close the cycle (a deadlock lockdep must report), 0: leave it open (must stay clean);
 *   NN  0: SRCU only (srcu_read_lock(i), synchronize_srcu(i+1)), 1: SRCU and mutexes, 2: SRCU and
 *       rwsems, 3: SRCU and Tasks Trace RCU (this model has no Tasks Trace RCU: refused as the
 *       kernel refuses it without CONFIG_TASKS_TRACE_RCU);
 *   L   the cycle length, 1-9.
 * With D=1 and L=1 in test 0 the task then really waits for its own reader: `Expect hang.`, as
 * the kernel says. The kernel runs it in rcu_torture_init(); here a kthread on CPU 0 runs it
 * while rcutorture starts (boot() is synchronous), under the kernel's boot task name.
 * The kernel's tools/testing/selftests/rcutorture/bin/srcu_lockdep.sh runs the 18 cases of
 * D in 0-1, NN in 0-2, L in 1-3 on SRCU-P; harness/torture/rcu_torture_srcu_lockdep.test.ts does too.
 */

import { kapi } from '../kapi.js';
import { ModuleParams } from '../../kernels/moduleparam.js';
import { WARN_ONCE } from '../../kernels/bug.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock, type Mutex } from '../../kernels/locking/mutex.js';
import { DECLARE_RWSEM, down_read, down_write, up_read, up_write, type RwSemaphore } from '../../kernels/locking/rwsem.js';
import * as tree from '../../kernels/rcu/srcu_tree.js';
import * as tiny from '../../kernels/rcu/srcu_tiny.js';
import { DEFINE_STATIC_SRCU, type SrcuDecl } from '../../kernels/rcu/srcu_tree_struct.js';

export const rcutorture_srcu_lockdep_params = new ModuleParams('rcutorture', ['rcu']);
const test_srcu_lockdep = rcutorture_srcu_lockdep_params.param('int', 'test_srcu_lockdep', 0, 'Test specified SRCU deadlock scenario.');

/** DEFINE_STATIC_SRCU(srcu0) .. (srcu9). */
const srcus: readonly SrcuDecl[] = Array.from({ length: 10 }, (_, i) => DEFINE_STATIC_SRCU(`srcu${i}`));

const F = 'rcu_torture_init_srcu_lockdep';

function say(s: string): void {
  kapi.printk(`${F}: ${s}`);
}

/** srcu_lockdep_next(): the next struct of the cycle (-1 when the cycle stays open), printed. */
function srcu_lockdep_next(fl: string, fs: string, fu: string, i: number, cyclelen: number, deadlock: boolean): number {
  let j = i + 1;
  if (j >= cyclelen) j = deadlock ? 0 : -1;
  if (j >= 0) say(`${fl}(${i}), ${fs}(${j}), ${fu}(${i})`);
  else say(`${fl}(${i}), ${fu}(${i})`);
  return j;
}

const pad5 = (n: number): string => String(n).padStart(5, '0');

async function run(val: number, impl: typeof tree | typeof tiny): Promise<void> {
  const deadlock = Math.trunc(val / 1000);
  const testtype = Math.trunc(val / 10) % 100;
  const cyclelen = val % 10;
  const dl = deadlock !== 0;
  let err = WARN_ONCE(deadlock !== 0 && deadlock !== 1, `${F}: test_srcu_lockdep=${val} and deadlock digit ${deadlock} must be zero or one.`);
  if (WARN_ONCE(cyclelen <= 0, `${F}: test_srcu_lockdep=${val} and cycle-length digit ${cyclelen} must be greater than zero.`)) err = true;
  const kind = dl ? '' : 'non-';
  if (!err && testtype === 0) {
    say(`test_srcu_lockdep = ${pad5(val)}: SRCU ${cyclelen}-way ${kind}deadlock.`);
    if (dl && cyclelen === 1) say('Expect hang.');
    for (let i = 0; i < cyclelen; i++) {
      const j = srcu_lockdep_next('srcu_read_lock', 'synchronize_srcu', 'srcu_read_unlock', i, cyclelen, dl);
      const idx = impl.srcu_read_lock(srcus[i]!);
      if (j >= 0) await impl.synchronize_srcu(srcus[j]!);
      impl.srcu_read_unlock(srcus[i]!, idx);
    }
    return;
  }
  if (!err && (testtype === 1 || testtype === 2)) {
    const what = testtype === 1 ? 'mutex' : 'rwsem';
    say(`test_srcu_lockdep = ${pad5(val)}: SRCU/${what} ${cyclelen}-way ${kind}deadlock.`);
    for (let i = 0; i < cyclelen; i++) {
      const [rl, ru] = testtype === 1 ? ['mutex_lock', 'mutex_unlock'] : ['down_read', 'up_read'];
      say(`srcu_read_lock(${i}), ${rl}(${i}), ${ru}(${i}), srcu_read_unlock(${i})`);
      const idx = impl.srcu_read_lock(srcus[i]!);
      if (testtype === 1) {
        await mutex_lock(muts[i]!);
        mutex_unlock(muts[i]!);
      } else {
        await down_read(rwsems[i]!);
        up_read(rwsems[i]!);
      }
      impl.srcu_read_unlock(srcus[i]!, idx);
      const [wl, wu] = testtype === 1 ? ['mutex_lock', 'mutex_unlock'] : ['down_write', 'up_write'];
      const j = srcu_lockdep_next(wl, 'synchronize_srcu', wu, i, cyclelen, dl);
      if (testtype === 1) await mutex_lock(muts[i]!);
      else await down_write(rwsems[i]!);
      if (j >= 0) await impl.synchronize_srcu(srcus[j]!);
      if (testtype === 1) mutex_unlock(muts[i]!);
      else up_write(rwsems[i]!);
    }
    return;
  }
  say(`test_srcu_lockdep = ${pad5(val)} does nothing.`);
  say('test_srcu_lockdep = DNNL.');
  say('D: Deadlock if nonzero.');
  say('NN: Test number, 0=SRCU, 1=SRCU/mutex, 2=SRCU/rwsem, 3=SRCU/Tasks Trace RCU.');
  say('L: Cycle length.');
  say('NN=3 disallowed because kernel is built with CONFIG_TASKS_TRACE_RCU=n');
}

let muts: readonly Mutex[] = [];
let rwsems: readonly RwSemaphore[] = [];

/**
 * Called from rcutorture's boot() on every CPU, after the flavour's init: declares the locks
 * (static DEFINE_MUTEX(mut0..9), DECLARE_RWSEM(rwsem0..9)) and, with the parameter set, runs the
 * scenario from a kthread on CPU 0.
 */
export function rcu_torture_init_srcu_lockdep(cpu: number): void {
  const val = test_srcu_lockdep.get();
  if (val === 0) return;
  const isTiny = kapi.config.kconfig.get('CONFIG_SMP') === 'n';
  if (isTiny) tiny.srcu_tiny_init(cpu);
  else tree.srcu_init(cpu);
  muts = Array.from({ length: 10 }, (_, i) => DEFINE_MUTEX(`mut${i}`));
  rwsems = Array.from({ length: 10 }, (_, i) => DECLARE_RWSEM(`rwsem${i}`));
  if (cpu !== 0) return;
  kapi.kthreadRun(() => run(val, isTiny ? tiny : tree), 'swapper/0');
}
