/*
 * lib/locking-selftest.c's wait_context_tests(): every inner lock kind taken inside every outer
 * context, with the kernel's verdicts (its table, PREEMPT_RT in mind):
 *
 *   outer \ inner        | rcu | raw | spin | mutex
 *   hardirq (threaded),  |  o  |  o  |  o   |  x      the outer allows only spinlock_t's preemption
 *   softirq, RCU, RCU-bh,|     |     |      |
 *   spinlock_t           |     |     |      |
 *   hardirq (not         |  o  |  o  |  x   |  x      the outer allows no preemption
 *   threaded), RCU-sched,|     |     |      |
 *   raw_spinlock_t       |     |     |      |
 *   mutex                |  o  |  o  |  o   |  o
 *
 * Each case is `guard(outer); guard(inner);` (inner released first). The rcu flavours are lockdep
 * maps of type rcu (outer LD_WAIT_FREE): rcu_read_lock() and rcu_read_lock_bh() inner CONFIG,
 * rcu_read_lock_sched() inner SPIN, as kernel/rcu/update.c declares them.
 */

import { LD_WAIT, type LockRead, type LockType, type WaitType } from '../kapi.js';
import type { Machine, Testcase } from './selftest_machine.js';

/** A lock of the family: its map's class name, type and inner wait type, and how it is taken. */
interface Lk {
  readonly name: string;
  readonly type: LockType;
  readonly wait: WaitType;
  readonly read: LockRead;
}

const lk = (name: string, type: LockType, wait: WaitType, read: LockRead = 0): Lk => ({ name, type, wait, read });

const RCU = lk('rcu_read_lock', 'rcu', LD_WAIT.CONFIG, 2);
const RCU_BH = lk('rcu_read_lock_bh', 'rcu', LD_WAIT.CONFIG, 2);
const RCU_SCHED = lk('rcu_read_lock_sched', 'rcu', LD_WAIT.SPIN, 2);

/** An outer or inner context: what guard() enters and leaves. */
interface Ctx {
  readonly enter: (m: Machine) => void;
  readonly exit: (m: Machine) => void;
}

function lockCtx(l: Lk): Ctx {
  return {
    enter: (m) => m.ld.acquire(m.map(l.name, l.type, l.wait), 0, false, l.read, null),
    exit: (m) => m.ld.release(m.map(l.name, l.type, l.wait)),
  };
}

const HARDIRQ: Ctx = { enter: (m) => m.enter('hard', true), exit: (m) => m.exit('hard') };
const NOTTHREADED_HARDIRQ: Ctx = { enter: (m) => m.enter('hard', false), exit: (m) => m.exit('hard') };
const SOFTIRQ: Ctx = { enter: (m) => m.enter('soft'), exit: (m) => m.exit('soft') };

/** The inner columns, each with its B instance (raw_lock_B, lock_B, mutex_B). */
const INNER: readonly Ctx[] = [
  lockCtx(RCU),
  lockCtx(lk('raw_lock_B', 'spinlock', LD_WAIT.SPIN)),
  lockCtx(lk('lock_B', 'spinlock', LD_WAIT.CONFIG)),
  lockCtx(lk('mutex_B', 'mutex', LD_WAIT.SLEEP)),
];

/** The table's header line, as the kernel prints it. */
export const WAIT_CONTEXT_COLUMNS = '                                 | rcu  | raw  | spin |mutex |';

const PREEMPTIBLE = [true, true, true, true] as const;
const LIMITED_PREEMPTIBLE = [true, true, true, false] as const;
const NOT_PREEMPTIBLE = [true, true, false, false] as const;

function row(desc: string, outer: Ctx, expect: readonly boolean[]): { desc: string; cases: [Testcase, boolean][] } {
  const cases = INNER.map((inner, i): [Testcase, boolean] => [
    (m) => {
      outer.enter(m);
      inner.enter(m);
      inner.exit(m);
      outer.exit(m);
    },
    expect[i] ?? false,
  ]);
  return { desc, cases };
}

/** The rows in the kernel's order; `true` is SUCCESS (lockdep stays quiet). */
export const WAIT_CONTEXT_ROWS = [
  row('in hardirq context', HARDIRQ, LIMITED_PREEMPTIBLE),
  row('in hardirq context (not threaded)', NOTTHREADED_HARDIRQ, NOT_PREEMPTIBLE),
  row('in softirq context', SOFTIRQ, LIMITED_PREEMPTIBLE),
  row('in RCU context', lockCtx(RCU), LIMITED_PREEMPTIBLE),
  row('in RCU-bh context', lockCtx(RCU_BH), LIMITED_PREEMPTIBLE),
  row('in RCU-sched context', lockCtx(RCU_SCHED), NOT_PREEMPTIBLE),
  row('in RAW_SPINLOCK context', lockCtx(lk('raw_lock_A', 'spinlock', LD_WAIT.SPIN)), NOT_PREEMPTIBLE),
  row('in SPINLOCK context', lockCtx(lk('lock_A', 'spinlock', LD_WAIT.CONFIG)), LIMITED_PREEMPTIBLE),
  row('in MUTEX context', lockCtx(lk('mutex_A', 'mutex', LD_WAIT.SLEEP)), PREEMPTIBLE),
];
