/*
 * debug_check_no_locks_freed() and print_freed_lock_bug() (kernel/locking/lockdep.c): memory being
 * freed must not hold a lock the freeing task still holds. The slab calls it for every object it
 * frees (kmem_cache_free() -> kapi.lockdep.checkNoLocksFreed(), the kernel's slab_free_hook()).
 *
 * A lock is identified by its lockdep_map's `addr`: the byte offset of its lock word in the
 * guest's shared memory (harness/kapi.ts), so a lock embedded in a slab object (spin_lock_init()
 * on the object's bytes) lies inside that object's range. The range and the lock print in
 * lockdep's address space (report.ts lockAddress()), so the lock visibly falls inside the range.
 * Only the freeing task's own held locks are searched, as the kernel's curr->held_locks.
 *
 *   =========================
 *   WARNING: held lock freed!
 *   0.1.0-torture #1 Not tainted
 *   -------------------------
 *   slab_test/42 is freeing memory ffffffff80412000-ffffffff8041203f, with a lock still held there!
 *   ffffffff80412010 (test_obj_lock){+.+.}-{2:2}, at: held_lock_freed (kernels/...)
 *   1 lock held by slab_test/42:
 *    #0: ffffffff80412010 (test_obj_lock){+.+.}-{2:2}, at: ...
 *
 *   stack backtrace:
 *   CPU: 0 PID: 42 Comm: slab_test Not tainted 0.1.0-torture #1
 *   ...
 *
 * The report turns lockdep off (debug_locks_off()), as the kernel's.
 */

import type { HeldLocks } from './held_locks.js';
import { dumpStack, heldLocks, lockAddress, printLock, type HeldView, type ReportCtx } from './report.js';

/** The first held lock whose lock word lies in [from, from + len), or -1 (not_in_range()). */
export function heldLockIn(h: HeldLocks, from: number, len: number): number {
  for (let i = 0; i < h.depth; i++) {
    const a = h.maps[i]?.addr ?? -1;
    if (a >= from && a < from + len) return i;
  }
  return -1;
}

/** print_freed_lock_bug(). */
export function freedLockReport(ctx: ReportCtx, lock: HeldView, from: number, len: number): string[] {
  const title = 'WARNING: held lock freed!';
  return [
    '='.repeat(title.length),
    title,
    `${ctx.release} Not tainted`,
    '-'.repeat(title.length),
    `${ctx.task.comm}/${ctx.task.pid} is freeing memory ${lockAddress(from)}-${lockAddress(from + len - 1)}, with a lock still held there!`,
    printLock(ctx.g, lock),
    ...heldLocks(ctx),
    '',
    'stack backtrace:',
    ...dumpStack(ctx),
  ];
}
