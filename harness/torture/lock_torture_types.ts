/*
 * The lock torture types of kernel/locking/locktorture.c: each type's lock_torture_ops (its
 * locks, their delays) and torture_ops[], the one table of types. Apart from the module
 * (lock_torture.ts) so that the driver's registry and the module's parameter declarations read
 * the type names without the stress loop, and the module stays one role.
 */

import { kapi, LD_WAIT } from '../kapi.js';
import { torture_random, type TortureRandomState } from './common.js';
import { torture_hold_delay, torture_mdelay, torture_udelay } from './torture_delay.js';
import type { LockTortureOps, MaybeSleep } from './lock_torture_ops.js';
import { lock_torture_user_ops } from './user_ops.js';
import { ww_mutex_lock_ops } from './lock_torture_ww.js';
import { rtmutex_lock_ops } from './lock_torture_rtmutex.js';
import { DEFINE_BUSTED_LOCK, torture_lock_busted_write_lock, torture_lock_busted_write_unlock } from '../../kernels/locking/lock_busted.js';
import {
  DEFINE_RAW_SPINLOCK,
  DEFINE_SPINLOCK,
  raw_spin_lock,
  raw_spin_lock_irqsave,
  raw_spin_unlock,
  raw_spin_unlock_irqrestore,
  spin_lock,
  spin_lock_irqsave,
  spin_unlock,
  spin_unlock_irqrestore,
  type RawSpinlock,
} from '../../kernels/locking/spinlock.js';
import {
  DEFINE_RWLOCK,
  read_lock,
  read_lock_irqsave,
  read_unlock,
  read_unlock_irqrestore,
  write_lock,
  write_lock_irqsave,
  write_unlock,
  write_unlock_irqrestore,
  type Rwlock,
} from '../../kernels/locking/rwlock.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock, type Mutex } from '../../kernels/locking/mutex.js';
import { DECLARE_RWSEM, down_read, down_write, up_read, up_write, type RwSemaphore } from '../../kernels/locking/rwsem.js';
import {
  DEFINE_STATIC_PERCPU_RWSEM,
  percpu_down_read,
  percpu_down_write,
  percpu_up_read,
  percpu_up_write,
  type PercpuRwsem,
} from '../../kernels/locking/percpu_rwsem.js';

export const MAX_NESTED_LOCKS = 8;

/**
 * What the delays and nested locks read of the module's settings: long_hold, nested_locks and
 * the real thread counts. lock_torture.ts's boot() sets them before any stress kthread runs.
 */
export interface LockTortureTuning {
  readonly long_hold: number;
  readonly nested_locks: number;
  readonly nrealwriters_stress: number;
  readonly nrealreaders_stress: number;
  /** rt_boost and rt_boost_factor (lock_torture_rtmutex.ts: torture_rt_boost()). */
  readonly rt_boost: number;
  readonly rt_boost_factor: number;
}

let tuning: LockTortureTuning = { long_hold: 100, nested_locks: 0, nrealwriters_stress: 0, nrealreaders_stress: 0, rt_boost: 2, rt_boost_factor: 50 };

export function lock_torture_tune(t: LockTortureTuning): void {
  tuning = t;
}

/** The settings, for the lock types in files of their own. */
export function lock_torture_tuning(): LockTortureTuning {
  return tuning;
}

/* ---------------- delays ---------------- */

/**
 * udelay(): busy-wait inside the task, taking interrupts (kapi.udelay), shortened by
 * torture.time_scale (torture_delay.ts). Under a kernel spinning lock (preemption off) it is never
 * preempted and returns nothing; but a `user` lock acquired by sleeping (its lock() returned a
 * Promise, user_ops.ts) is held preemptible, as a mutex is, and with PREEMPT=y the busy-wait is
 * then preempted at a tick: the task is already switched out (on the runqueue, the executor's
 * current task cleared) when udelay() returns the promise. That promise MUST be returned up to the
 * stress kthread's `await`: a caller that dropped it kept running the task's code outside any task
 * context, racing with its own resumption from the runqueue (the `sleeping call outside task
 * context` Oops in cond_resched() of LOCK01 --ops futex_lock.mjs). So every delay here returns it.
 */
function udelay(us: number): MaybeSleep {
  const q = torture_udelay(us);
  if (q !== null) return q;
}

function mdelay(ms: number): MaybeSleep {
  const q = torture_mdelay(ms);
  if (q !== null) return q;
}

/** Run `rest` after `q` (a preempted busy-wait) or at once; the random draws keep their order. */
function then_delay(q: MaybeSleep, rest: () => MaybeSleep): MaybeSleep {
  return q instanceof Promise ? q.then(rest) : rest();
}

/** torture_preempt_schedule(): a preemption point (a no-op under PREEMPT_NONE). */
function torture_preempt_schedule(): MaybeSleep {
  const pp = kapi.preemptPoint();
  if (pp !== null) return pp;
}

function torture_spin_lock_write_delay(trsp: TortureRandomState): MaybeSleep {
  if (tuning.long_hold > 0 && torture_random(trsp) % (tuning.nrealwriters_stress * 2000 * tuning.long_hold) === 0) {
    const j = kapi.jiffies();
    return then_delay(mdelay(tuning.long_hold), () => {
      kapi.printk(`torture_spin_lock_write_delay: delay = ${kapi.jiffies() - j} jiffies.`);
      return torture_spin_lock_short_delay(trsp);
    });
  }
  return torture_spin_lock_short_delay(trsp);
}

/** The rest of torture_spin_lock_write_delay(), after its long hold. */
function torture_spin_lock_short_delay(trsp: TortureRandomState): MaybeSleep {
  const shortdelay_us = 2;
  const q = torture_random(trsp) % (tuning.nrealwriters_stress * 200 * shortdelay_us) === 0 ? udelay(shortdelay_us) : undefined;
  return then_delay(q, () => {
    if (torture_random(trsp) % (tuning.nrealwriters_stress * 20000) === 0) return torture_preempt_schedule();
  });
}

function torture_lock_busted_write_delay(trsp: TortureRandomState): MaybeSleep {
  if (tuning.long_hold > 0 && torture_random(trsp) % (tuning.nrealwriters_stress * 2000 * tuning.long_hold) === 0) {
    // lock_busted holds nothing: the delay is preemptible (PREEMPT=y), so await what it returns.
    const q = torture_mdelay(tuning.long_hold);
    if (q !== null) return q;
  }
  if (torture_random(trsp) % (tuning.nrealwriters_stress * 20000) === 0) return torture_preempt_schedule();
}

function torture_rwlock_write_delay(trsp: TortureRandomState): MaybeSleep {
  if (tuning.long_hold > 0 && torture_random(trsp) % (tuning.nrealwriters_stress * 2000 * tuning.long_hold) === 0) return mdelay(tuning.long_hold);
  return udelay(2);
}

function torture_rwlock_read_delay(trsp: TortureRandomState): MaybeSleep {
  if (tuning.long_hold > 0 && torture_random(trsp) % (tuning.nrealreaders_stress * 2000 * tuning.long_hold) === 0) return mdelay(tuning.long_hold);
  return udelay(10);
}

async function torture_mutex_delay(trsp: TortureRandomState): Promise<void> {
  if (tuning.long_hold > 0 && torture_random(trsp) % (tuning.nrealwriters_stress * 2000 * tuning.long_hold) === 0) {
    await torture_hold_delay(tuning.long_hold * 5);
  }
  if (torture_random(trsp) % (tuning.nrealwriters_stress * 20000) === 0) await torture_preempt_schedule();
}

async function torture_rwsem_write_delay(trsp: TortureRandomState): Promise<void> {
  if (tuning.long_hold > 0 && torture_random(trsp) % (tuning.nrealwriters_stress * 2000 * tuning.long_hold) === 0) {
    await torture_hold_delay(tuning.long_hold * 10);
  }
  if (torture_random(trsp) % (tuning.nrealwriters_stress * 20000) === 0) await torture_preempt_schedule();
}

async function torture_rwsem_read_delay(trsp: TortureRandomState): Promise<void> {
  if (tuning.long_hold > 0 && torture_random(trsp) % (tuning.nrealreaders_stress * 2000 * tuning.long_hold) === 0) {
    await torture_hold_delay(tuning.long_hold * 2);
  } else {
    await torture_hold_delay(Math.floor(tuning.long_hold / 2));
  }
  if (torture_random(trsp) % (tuning.nrealreaders_stress * 20000) === 0) await torture_preempt_schedule();
}

/* ---------------- the ops table ---------------- */

function lock_busted_ops(): LockTortureOps {
  const lock = DEFINE_BUSTED_LOCK();
  return {
    name: 'lock_busted',
    writelock: () => torture_lock_busted_write_lock(lock),
    write_delay: torture_lock_busted_write_delay,
    writeunlock: () => torture_lock_busted_write_unlock(lock),
  };
}

function spin_lock_ops(): LockTortureOps {
  let lock: RawSpinlock | null = null;
  return {
    name: 'spin_lock',
    init: () => {
      lock = DEFINE_SPINLOCK('torture_spinlock');
    },
    writelock: () => spin_lock(lock as RawSpinlock),
    write_delay: torture_spin_lock_write_delay,
    writeunlock: () => spin_unlock(lock as RawSpinlock),
  };
}

function spin_lock_irq_ops(): LockTortureOps {
  let lock: RawSpinlock | null = null;
  let flags = 0;
  return {
    name: 'spin_lock_irq',
    init: () => {
      lock = DEFINE_SPINLOCK('torture_spinlock');
    },
    writelock: () => {
      flags = spin_lock_irqsave(lock as RawSpinlock);
    },
    write_delay: torture_spin_lock_write_delay,
    writeunlock: () => spin_unlock_irqrestore(lock as RawSpinlock, flags),
  };
}

function raw_spin_lock_ops(): LockTortureOps {
  let lock: RawSpinlock | null = null;
  return {
    name: 'raw_spin_lock',
    init: () => {
      lock = DEFINE_RAW_SPINLOCK('torture_raw_spinlock');
    },
    writelock: () => raw_spin_lock(lock as RawSpinlock),
    write_delay: torture_spin_lock_write_delay,
    writeunlock: () => raw_spin_unlock(lock as RawSpinlock),
  };
}

function raw_spin_lock_irq_ops(): LockTortureOps {
  let lock: RawSpinlock | null = null;
  let flags = 0;
  return {
    name: 'raw_spin_lock_irq',
    init: () => {
      lock = DEFINE_RAW_SPINLOCK('torture_raw_spinlock');
    },
    writelock: () => {
      flags = raw_spin_lock_irqsave(lock as RawSpinlock);
    },
    write_delay: torture_spin_lock_write_delay,
    writeunlock: () => raw_spin_unlock_irqrestore(lock as RawSpinlock, flags),
  };
}

function rw_lock_ops(): LockTortureOps {
  let lock: Rwlock | null = null;
  return {
    name: 'rw_lock',
    init: () => {
      lock = DEFINE_RWLOCK('torture_rwlock');
    },
    writelock: () => write_lock(lock as Rwlock),
    write_delay: torture_rwlock_write_delay,
    writeunlock: () => write_unlock(lock as Rwlock),
    readlock: () => read_lock(lock as Rwlock),
    read_delay: torture_rwlock_read_delay,
    readunlock: () => read_unlock(lock as Rwlock),
  };
}

function rw_lock_irq_ops(): LockTortureOps {
  let lock: Rwlock | null = null;
  // cxt.cur_ops->flags: one per CPU here (each CPU has its own module instance). A writer and a
  // reader of one CPU cannot interleave inside their irqs-off critical sections (no sleeping).
  let flags = 0;
  return {
    name: 'rw_lock_irq',
    init: () => {
      lock = DEFINE_RWLOCK('torture_rwlock');
    },
    writelock: () => {
      flags = write_lock_irqsave(lock as Rwlock);
    },
    write_delay: torture_rwlock_write_delay,
    writeunlock: () => write_unlock_irqrestore(lock as Rwlock, flags),
    readlock: () => {
      flags = read_lock_irqsave(lock as Rwlock);
    },
    read_delay: torture_rwlock_read_delay,
    readunlock: () => read_unlock_irqrestore(lock as Rwlock, flags),
  };
}

function mutex_lock_ops(): LockTortureOps {
  let lock: Mutex | null = null;
  const nested: Mutex[] = [];
  return {
    name: 'mutex_lock',
    init: () => {
      lock = DEFINE_MUTEX('torture_mutex');
      for (let i = 0; i < MAX_NESTED_LOCKS; i++) {
        const key = kapi.lockClass(`torture_nested_mutexes[${i}]`, 'mutex', LD_WAIT.SLEEP);
        nested.push(DEFINE_MUTEX(`torture_nested_mutexes[${i}]`, key));
      }
    },
    nested_lock: async (_tid: number, lockset: number) => {
      for (let i = 0; i < tuning.nested_locks; i++) {
        if ((lockset & (1 << i)) !== 0) await mutex_lock(nested[i] as Mutex);
      }
    },
    writelock: () => mutex_lock(lock as Mutex),
    write_delay: torture_mutex_delay,
    writeunlock: () => mutex_unlock(lock as Mutex),
    nested_unlock: (_tid: number, lockset: number) => {
      for (let i = tuning.nested_locks - 1; i >= 0; i--) {
        if ((lockset & (1 << i)) !== 0) mutex_unlock(nested[i] as Mutex);
      }
    },
  };
}

function rwsem_lock_ops(): LockTortureOps {
  let sem: RwSemaphore | null = null;
  return {
    name: 'rwsem_lock',
    init: () => {
      sem = DECLARE_RWSEM('torture_rwsem');
    },
    writelock: () => down_write(sem as RwSemaphore),
    write_delay: torture_rwsem_write_delay,
    writeunlock: () => up_write(sem as RwSemaphore),
    readlock: () => down_read(sem as RwSemaphore),
    read_delay: torture_rwsem_read_delay,
    readunlock: () => up_read(sem as RwSemaphore),
  };
}

function percpu_rwsem_lock_ops(): LockTortureOps {
  let sem: PercpuRwsem | null = null;
  return {
    name: 'percpu_rwsem_lock',
    init: () => {
      sem = DEFINE_STATIC_PERCPU_RWSEM('pcpu_rwsem');
    },
    writelock: () => percpu_down_write(sem as PercpuRwsem),
    write_delay: torture_rwsem_write_delay,
    writeunlock: () => percpu_up_write(sem as PercpuRwsem),
    readlock: () => percpu_down_read(sem as PercpuRwsem),
    read_delay: torture_rwsem_read_delay,
    readunlock: () => percpu_up_read(sem as PercpuRwsem),
  };
}

/** torture_type `user`: the lock-ops module of --ops (locktorture.ops_module), loaded on this CPU. */
function user_ops(): Promise<LockTortureOps> {
  return lock_torture_user_ops({ write_delay: torture_spin_lock_write_delay, read_delay: torture_rwlock_read_delay });
}

/**
 * torture_ops[] of locktorture.c: the one list of lock torture types (`locktorture.torture_type`),
 * in the kernel's order with `user` (--ops) last. The driver's option registry and the "types:"
 * line read it; a new lock type is one factory above and one entry here.
 */
export const LOCK_TORTURE_OPS = {
  lock_busted: lock_busted_ops,
  spin_lock: spin_lock_ops,
  spin_lock_irq: spin_lock_irq_ops,
  raw_spin_lock: raw_spin_lock_ops,
  raw_spin_lock_irq: raw_spin_lock_irq_ops,
  rw_lock: rw_lock_ops,
  rw_lock_irq: rw_lock_irq_ops,
  mutex_lock: mutex_lock_ops,
  ww_mutex_lock: () => ww_mutex_lock_ops(torture_mutex_delay),
  rtmutex_lock: () => rtmutex_lock_ops(lock_torture_tuning, MAX_NESTED_LOCKS),
  rwsem_lock: rwsem_lock_ops,
  percpu_rwsem_lock: percpu_rwsem_lock_ops,
  user: user_ops,
} as const satisfies Record<string, () => LockTortureOps | Promise<LockTortureOps>>;
export type LockTortureType = keyof typeof LOCK_TORTURE_OPS;
export const LOCK_TORTURE_TYPES = Object.keys(LOCK_TORTURE_OPS) as readonly LockTortureType[];
