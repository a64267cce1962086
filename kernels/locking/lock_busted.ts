/*
 * lock_busted: a "lock" that excludes nothing, like locktorture's lock_busted_ops (whose write
 * lock and unlock are empty, "BUGGY, do not use in real life!!!"). It exists so that the BUSTED
 * scenario proves the torture checks can fail: a run of it must end `End of test: FAILURE`.
 *
 * There is no lock word and no lockdep annotation: the kernel's busted ops have none either.
 */

/** Layout marker for the busted lock: it has no state at all. */
export interface BustedLock {
  readonly name: 'lock_busted';
}

export function DEFINE_BUSTED_LOCK(): BustedLock {
  return { name: 'lock_busted' };
}

/** torture_lock_busted_write_lock(): returns at once without excluding anyone. */
export function torture_lock_busted_write_lock(_lock: BustedLock): void {}

/** torture_lock_busted_write_unlock(): nothing to release. */
export function torture_lock_busted_write_unlock(_lock: BustedLock): void {}
