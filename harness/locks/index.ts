/*
 * `torture/locks`: Mutex, RwLock, Semaphore and Condition over a SharedArrayBuffer, for
 * production code, with lockdep (and the real-deadlock and hung-task reports) when switched on.
 * This folder imports nothing from the rest of the harness; lockdep is loaded by
 * lockdep_hook.ts only when switched on (README.md).
 */

export { Mutex } from './mutex.js';
export { RwLock } from './rwlock.js';
export { Semaphore, type SemaphoreOptions } from './semaphore.js';
export { Condition } from './condition.js';
export { withLockdep, type AsyncMutexLockdepOptions } from './async_mutex.js';
export { disableLockdep, enableLockdep, lockdepBuffer, useLockdep, type EnableOptions, type LocksLockdep } from './lockdep_hook.js';
export type { LockHandle, LockKind, LockOptions } from './lock_word.js';
