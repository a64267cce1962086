/*
 * The value a sleeping lock's entry returns when its fast path took the lock: one promise per
 * thread, already resolved, made once. Kernel code `await`s every sleeping-lock call
 * (`await mutex_lock(m)`); awaiting this costs the same single microtask turn as awaiting an
 * async function's promise (so the interleavings at that await are unchanged), but the lock
 * allocates nothing: an uncontended `async function` would create and resolve a promise per call,
 * and returning undefined makes the caller's `await` wrap it in a fresh promise (both measured
 * slower; kernels/README.md, "Lock fast paths"). Only the contended slow paths are async
 * functions.
 */

/** Returned by mutex_lock(), down_read() and the like when they took the lock without waiting. */
export const LOCK_TAKEN: Promise<void> = Promise.resolve();
