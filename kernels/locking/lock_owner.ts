/*
 * The owner field shared by every lock word in kernels/locking/: who holds the lock, packed so
 * that a hang or a crashed CPU can be explained from shared memory alone (kernels/README.md,
 * "Shared memory"): the CPU id and the task pid, plus a LOCKED bit so that "held in irq context on CPU 0
 * by no task" is still non-zero.
 *
 *   bit 31      always 0 (words stay non-negative Int32s)
 *   bit 30      the lock's own flag (WAITERS for sleeping locks, SLEEPER for spinlocks)
 *   bit 29      LOCK_OWNER_LOCKED
 *   bits 7..28  pid of the owning task (0 when taken from interrupt context)
 *   bits 0..6   CPU of the owner (NR_CPUS <= 128, MAX_CPUS in harness/shm/layout.ts)
 *
 * This file holds no lock; it only encodes and decodes the owner.
 */

import { kapi } from '../../harness/kapi.js';

export const LOCK_OWNER_CPU_BITS = 7;
export const LOCK_OWNER_CPU_MASK = (1 << LOCK_OWNER_CPU_BITS) - 1;
export const LOCK_OWNER_PID_MASK = (1 << 22) - 1;
export const LOCK_OWNER_LOCKED = 1 << 29;
/** The per-lock flag bit (meaning documented in each lock's file). */
export const LOCK_FLAG = 1 << 30;
/** Everything but the flag: non-zero iff the lock is owned. */
export const LOCK_OWNER_MASK = LOCK_FLAG - 1;

/** The owner value of the running context: LOCKED | pid << 7 | cpu. */
export function lock_owner_current(): number {
  const pid = kapi.inTask() ? kapi.current().pid & LOCK_OWNER_PID_MASK : 0;
  return LOCK_OWNER_LOCKED | (pid << LOCK_OWNER_CPU_BITS) | kapi.smpProcessorId();
}

/** Decode an owner value (for reports and tests); null when unowned. */
export function lock_owner_decode(word: number): { cpu: number; pid: number } | null {
  if ((word & LOCK_OWNER_MASK) === 0) return null;
  return { cpu: word & LOCK_OWNER_CPU_MASK, pid: (word >>> LOCK_OWNER_CPU_BITS) & LOCK_OWNER_PID_MASK };
}
