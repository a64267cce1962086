/*
 * Test kernel: the lock misuses lockdep reports beyond lock order, one per
 * `lockdep_misuse.bug=` value (none by default: every case then runs correctly and the guest
 * powers off clean; harness/cpu/lockdep_guest.test.ts).
 *
 *   raw_nesting  a spinlock_t taken inside a raw_spinlock_t: `BUG: Invalid wait context` with
 *                CONFIG_PROVE_RAW_LOCK_NESTING=y, allowed without it (LD_WAIT_CONFIG is SPIN);
 *   bad_unlock   a task unlocks a mutex another task holds: `WARNING: bad unlock balance detected!`;
 *   exit_held    a kthread returns holding a mutex: `WARNING: comm/pid still has locks held!`.
 *
 * Unplanted, the nesting case takes the raw lock inside the other, the unlock is the
 * holder's own, and the kthread unlocks before it returns.
 */

import { kapi } from '../../kapi.js';
import { module_param } from '../../../kernels/moduleparam.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock } from '../../../kernels/locking/mutex.js';
import { DEFINE_RAW_SPINLOCK, DEFINE_SPINLOCK, raw_spin_lock, raw_spin_unlock, spin_lock, spin_unlock } from '../../../kernels/locking/spinlock.js';

const W_HELD = 0;
const W_UNLOCKED = 1;
const W_WQ = 2;

/** A spinlock_t inside a raw_spinlock_t (planted), or the valid order, raw inside spinlock_t. */
function misuse_raw_nesting(planted: boolean): void {
  const raw = DEFINE_RAW_SPINLOCK('misuse_raw_lock');
  const spin = DEFINE_SPINLOCK('misuse_spin_lock');
  if (planted) {
    raw_spin_lock(raw);
    spin_lock(spin);
    spin_unlock(spin);
    raw_spin_unlock(raw);
    return;
  }
  spin_lock(spin);
  raw_spin_lock(raw);
  raw_spin_unlock(raw);
  spin_unlock(spin);
}

/** `misuse_holder` holds the mutex until it is unlocked; the unlocker is the holder itself unless planted. */
async function misuse_release_others(planted: boolean, base: number): Promise<void> {
  const i32 = kapi.shm;
  const wq = { i32, index: base + W_WQ };
  const m = DEFINE_MUTEX('misuse_mutex');
  const holder = kapi.kthreadRun(async () => {
    await mutex_lock(m);
    Atomics.store(i32, base + W_HELD, 1);
    kapi.wakeUp(wq);
    await kapi.waitEvent(wq, () => Atomics.load(i32, base + W_UNLOCKED) !== 0);
    // Ours to release when nobody else did.
    if (!planted) mutex_unlock(m);
  }, 'misuse_holder');
  await kapi.waitEvent(wq, () => Atomics.load(i32, base + W_HELD) !== 0);
  // The planted bug: this task never took the mutex.
  if (planted) mutex_unlock(m);
  Atomics.store(i32, base + W_UNLOCKED, 1);
  kapi.wakeUp(wq);
  await kapi.kthreadStop(holder.pid);
}

/** A kthread that returns with the mutex held (planted), or after unlocking it. */
async function misuse_exit_held(planted: boolean): Promise<void> {
  const m = DEFINE_MUTEX('misuse_exit_mutex');
  const t = kapi.kthreadRun(async () => {
    await mutex_lock(m);
    if (!planted) mutex_unlock(m);
  }, 'misuse_exiter');
  await kapi.kthreadStop(t.pid);
}

export function boot(cpu: number): void {
  if (cpu !== 0) return;
  const reg = kapi.shmAlloc('lockdep_misuse', 16);
  const bug = module_param('lockdep_misuse.bug', 'charp', '');
  kapi.kthreadRun(async () => {
    misuse_raw_nesting(bug === 'raw_nesting');
    await misuse_release_others(bug === 'bad_unlock', reg.base);
    await misuse_exit_held(bug === 'exit_held');
    kapi.printk('lockdep_misuse: done');
    kapi.powerOff();
  }, 'misuse_main');
}
