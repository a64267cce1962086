/*
 * The user lock of `torture bench --ops FILE`, in the lock-ops module format of `torture lock
 * --ops` (harness/torture/user_ops.ts, whose importOpsModule() loads and checks it here): a
 * default (or `ops`) export with name, sharedBytes, init(shared, cpu), writeLock(), writeUnlock().
 *
 * The bench measures the user's raw writeLock/writeUnlock on plain bench threads: no kapi and no
 * lockdep annotations around them (those are what locktorture's in-guest adapter adds; here the
 * question is what the lock itself costs). `shared` is the lock's zeroed shared memory: private
 * to the thread for an uncontended row, one SharedArrayBuffer handed to every thread of a
 * contended row; init() runs on every thread before the first measurement, as on every CPU in a
 * guest. A writeLock/writeUnlock call that returns a thenable is awaited (it sleeps), one that
 * returns nothing completed (the format's rule): the pair is of kind `maybe`.
 *
 * Does not: check semantics (the contended row's mutual-exclusion check does that).
 */

import { isTortureError } from '../errors.js';
import { importOpsModule, type UserLockOps } from '../torture/user_ops.js';
import type { LockPair, ResolvedPair } from './lock_pair.js';

export async function loadUserOps(spec: string, shared: SharedArrayBuffer | null, cpu: number): Promise<ResolvedPair> {
  let ops: UserLockOps;
  try {
    ops = await importOpsModule(spec);
  } catch (e) {
    return { ok: false, reason: isTortureError(e) ? e.message : `--ops ${spec}: ${e instanceof Error ? e.message : String(e)}` };
  }
  const words = Math.max(1, Math.ceil(ops.sharedBytes / 4));
  const sab = shared ?? new SharedArrayBuffer(words * 4);
  ops.init(new Int32Array(sab, 0, words), cpu);
  const thenable = (r: unknown): PromiseLike<unknown> | undefined =>
    typeof r === 'object' && r !== null && typeof (r as { then?: unknown }).then === 'function' ? (r as PromiseLike<unknown>) : undefined;
  const pair: LockPair = {
    kind: 'maybe',
    lock: () => thenable(ops.writeLock()),
    unlock: () => thenable(ops.writeUnlock()),
  };
  return { ok: true, pair };
}

/** sharedBytes of the module (the main thread allocates one buffer for a contended row). */
export async function userSharedBytesOf(spec: string): Promise<number> {
  return (await importOpsModule(spec)).sharedBytes;
}
