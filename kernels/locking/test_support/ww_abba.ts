/*
 * Test kernel: two acquire contexts take the same two ww_mutexes in opposite orders, round after
 * round. `ww_abba_0` on CPU 0 takes ww_a then ww_b, `ww_abba_1` on CPU 1 takes ww_b then ww_a;
 * each waits (in shared memory) until the other holds its first lock before it asks for its
 * second, so every round is a real AB-BA. The wound/wait rules must break it: one context gets
 * -EDEADLK, unlocks its first lock, sleeps for the contended one with ww_mutex_lock_slow(), then
 * takes the other; both finish the round. After `ww_abba.rounds` rounds (default 20) CPU 0 prints
 * `ww_abba: done: rounds=R backoffs=B` and powers off.
 *
 * `ww_abba.wound_wait=1` uses a wound-wait class (DEFINE_WW_CLASS: the older context wounds the
 * younger holder, which is woken out of its own wait to back off); the default is wait-die
 * (DEFINE_WD_CLASS, locktorture's: the younger one dies when it meets the older holder).
 * With `ww_mutex.test_broken_wound=1` nobody backs off: both contexts sleep for ever and khungtaskd
 * reports them (kernels/locking/ww_mutex.test.ts).
 */

import { kapi } from '../../../harness/kapi.js';
import { module_param } from '../../moduleparam.js';
import { DEFINE_WD_CLASS, DEFINE_WW_ACQUIRE_CTX, DEFINE_WW_CLASS, ww_acquire_done, ww_acquire_fini, ww_acquire_init, type WwAcquireCtx, type WwClass } from '../ww_acquire.js';
import { EDEADLK, ww_mutex_init, ww_mutex_lock, ww_mutex_lock_slow, ww_mutex_unlock, type WwMutex } from '../ww_mutex.js';

/* Shared words: per task, the round in which it holds its first lock, and the last round it finished. */
const W_HOLDS = 0;
const W_DONE = 2;
const W_BACKOFFS = 4;

/** Sleep a jiffy at a time until i32[word] >= round. */
async function wait_for(i32: Int32Array, word: number, round: number): Promise<void> {
  while (Atomics.load(i32, word) < round) await kapi.scheduleTimeout(1);
}

async function ww_abba_task(cls: WwClass, first: WwMutex, second: WwMutex, ctx: WwAcquireCtx, me: number, base: number, rounds: number): Promise<void> {
  const i32 = kapi.shm;
  const other = 1 - me;
  for (let round = 1; round <= rounds; round++) {
    ww_acquire_init(ctx, cls);
    let err = await ww_mutex_lock(first, ctx);
    if (err !== 0) kapi.printk(`ww_abba: BUG: ${kapi.current().comm} got ${err} for its first lock`);
    // Published, then the other's state read: pairs with the same two steps of the other task.
    Atomics.store(i32, base + W_HOLDS + me, round);
    await wait_for(i32, base + W_HOLDS + other, round);
    err = await ww_mutex_lock(second, ctx);
    if (err === -EDEADLK) {
      // The back-off: everything released, then the contended lock first.
      Atomics.add(i32, base + W_BACKOFFS, 1);
      ww_mutex_unlock(first);
      await ww_mutex_lock_slow(second, ctx);
      err = await ww_mutex_lock(first, ctx);
    }
    ww_acquire_done(ctx);
    if (err !== 0) kapi.printk(`ww_abba: BUG: ${kapi.current().comm} got ${err} after its back-off`);
    ww_mutex_unlock(second);
    ww_mutex_unlock(first);
    ww_acquire_fini(ctx);
    Atomics.store(i32, base + W_DONE + me, round);
    await wait_for(i32, base + W_DONE + other, round);
  }
  if (me === 0) {
    kapi.printk(`ww_abba: done: rounds=${rounds} backoffs=${Atomics.load(i32, base + W_BACKOFFS)}`);
    kapi.powerOff();
  }
}

export function boot(cpu: number): void {
  const r = kapi.shmAlloc('ww_abba_test', 16);
  const rounds = module_param('ww_abba.rounds', 'int', 20);
  const cls = module_param('ww_abba.wound_wait', 'bool', false) ? DEFINE_WW_CLASS('ww_abba_class') : DEFINE_WD_CLASS('ww_abba_class');
  const a = ww_mutex_init('ww_a', cls);
  const b = ww_mutex_init('ww_b', cls);
  const ctx0 = DEFINE_WW_ACQUIRE_CTX('ww_abba_ctx0');
  const ctx1 = DEFINE_WW_ACQUIRE_CTX('ww_abba_ctx1');
  if (cpu === 0) kapi.kthreadRun(() => ww_abba_task(cls, a, b, ctx0, 0, r.base, rounds), 'ww_abba_0');
  if (cpu === 1) kapi.kthreadRun(() => ww_abba_task(cls, b, a, ctx1, 1, r.base, rounds), 'ww_abba_1');
}
