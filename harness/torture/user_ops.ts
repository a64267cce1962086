/*
 * Your own lock, tortured: `torture --torture lock --ops ./my_lock.mjs` runs locktorture with
 * torture_type `user` on the lock-ops object exported by an ES module.
 *
 * The interface (the module's default export, or its export named `ops`):
 *
 *   {
 *     name: 'my_lock',                 // [a-z0-9_]+, names the lock in output and reports
 *     sharedBytes: 64,                 // shared memory the lock needs (0..1 MiB)
 *     init(shared, cpu) {},            // on every CPU before the test; `shared` is an Int32Array
 *                                      // over the lock's zeroed bytes, the same memory on every CPU
 *     writeLock() {}, writeUnlock() {},// exclusive lock/unlock (required)
 *     readLock() {}, readUnlock() {},  // shared lock/unlock (optional, both or neither)
 *   }
 *
 * A lock or unlock that returns a Promise is a sleeping lock: the stress task sleeps until it
 * settles and its CPU runs other tasks meanwhile (kapi.sleepOn). Returning nothing means the call
 * completed (a spinning lock: blocking the CPU, e.g. with Atomics.wait, is allowed). A lock that
 * completed without a Promise is held with preemption disabled until its unlock, as spin_lock()
 * does: otherwise, under CONFIG_PREEMPT, the holder could be switched out at a preemption point
 * and a task of the same CPU spinning for the lock would never let it run again (a soft lockup
 * that is the harness's fault, not the lock's).
 *
 * checkOpsModule() is the shape rule; importOpsModule() imports a module IN THIS PROCESS and
 * applies it, for the places that run the user's lock by design: a guest, a bench thread, and the
 * driver's checker child (ops_check_child.ts). The driver itself never imports the module: it
 * calls validateOpsModule() (ops_check.ts), which runs that child with a time limit (bad module:
 * TortureError OPS_MODULE, one line, exit 2). lock_torture_user_ops() is the in-guest adapter
 * that lock_torture.ts uses, calling the lockdep/tracking hooks around every user call so that a
 * hang report can say who holds the lock and who waits for it.
 */

import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { TortureError } from '../errors.js';
import { kapi, type LockdepMap, LD_WAIT } from '../kapi.js';
import { ModuleParams } from '../../kernels/moduleparam.js';
import type { TortureRandomState } from './common.js';
import type { LockTortureOps, MaybeSleep } from './lock_torture_ops.js';

export type UserLockResult = void | PromiseLike<void>;

export interface UserLockOps {
  readonly name: string;
  readonly sharedBytes: number;
  init(shared: Int32Array, cpu: number): void;
  writeLock(): UserLockResult;
  writeUnlock(): UserLockResult;
  readLock?(): UserLockResult;
  readUnlock?(): UserLockResult;
}

export const USER_OPS_MAX_SHARED_BYTES = 1 << 20;

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'function') return 'a function';
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** The one bad-input error of an --ops module (`kind`: 'lock' or 'object'), naming the field and its rule. */
export function opsModuleError(kind: 'lock' | 'object', file: string, field: string, rule: string, v: unknown): TortureError {
  return new TortureError('OPS_MODULE', `Cannot use ${kind} ops module '${file}' as '${field}' must be ${rule}: current value is ${show(v)}`);
}

function bad(file: string, field: string, rule: string, v: unknown): TortureError {
  return opsModuleError('lock', file, field, rule, v);
}

/** Check the shape of a module namespace; returns its lock-ops object. */
export function checkOpsModule(mod: unknown, file: string): UserLockOps {
  const ns = mod as Record<string, unknown>;
  const ops = ns['default'] ?? ns['ops'];
  if (typeof ops !== 'object' || ops === null) throw bad(file, 'export default (or export ops)', 'a lock-ops object', ops);
  const o = ops as Record<string, unknown>;
  const name = o['name'];
  if (typeof name !== 'string' || !/^[a-z0-9_]{1,32}$/.test(name)) throw bad(file, 'name', 'a string of 1-32 characters [a-z0-9_]', name);
  const sb = o['sharedBytes'];
  if (typeof sb !== 'number' || !Number.isInteger(sb) || sb < 0 || sb > USER_OPS_MAX_SHARED_BYTES) {
    throw bad(file, 'sharedBytes', `an integer from 0 to ${USER_OPS_MAX_SHARED_BYTES}`, sb);
  }
  for (const f of ['init', 'writeLock', 'writeUnlock'] as const) {
    if (typeof o[f] !== 'function') throw bad(file, f, 'a function', o[f]);
  }
  const hasRead = o['readLock'] !== undefined || o['readUnlock'] !== undefined;
  if (hasRead) {
    for (const f of ['readLock', 'readUnlock'] as const) {
      if (typeof o[f] !== 'function') throw bad(file, f, 'a function (readLock and readUnlock come together)', o[f]);
    }
  }
  return ops as UserLockOps;
}

/** The import URL of a module path (a file: URL as is). */
export function moduleUrl(file: string): string {
  if (/^file:/.test(file)) return file;
  return pathToFileURL(path.resolve(file)).href;
}

/**
 * importOpsModule(): import `file` into this process and check its shape (never in the driver:
 * see validateOpsModule() in ops_check.ts). Throws TortureError('OPS_MODULE', one line) when it
 * cannot be imported or has the wrong shape.
 */
export async function importOpsModule(file: string): Promise<UserLockOps> {
  return importChecked(file, 'lock', checkOpsModule);
}

/** Import `file` in this process and apply `check` (the lock or the object shape); bad: OPS_MODULE. */
export async function importChecked<T>(file: string, what: 'lock' | 'object', check: (mod: unknown, file: string) => T): Promise<T> {
  let mod: unknown;
  try {
    mod = await import(moduleUrl(file));
  } catch (err: unknown) {
    const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    throw new TortureError('OPS_MODULE', `Cannot load ${what} ops module as '${file}' must be an importable ES module: current value is ${msg}`, {
      cause: err,
    });
  }
  return check(mod, file);
}

/* ---------------- the in-guest adapter ---------------- */

function isThenable(r: unknown): r is PromiseLike<void> {
  return typeof r === 'object' && r !== null && typeof (r as { then?: unknown }).then === 'function';
}

/** A user lock call that returned a promise: sleep on it as a contended wait. */
async function user_lock_wait(map: LockdepMap, r: PromiseLike<void>): Promise<void> {
  kapi.lockdep.contended(map);
  await kapi.sleepOn(Promise.resolve(r));
  kapi.lockdep.acquired(map);
  user_lock_acquired(false);
}

async function user_unlock_wait(r: PromiseLike<void>): Promise<void> {
  await kapi.sleepOn(Promise.resolve(r));
}

/*
 * How many user locks this CPU holds from a synchronous (spinning) acquisition, each with
 * preemption disabled. Per CPU (module state is per worker) and without per-task bookkeeping: a
 * spinning holder cannot be switched out until its unlock (preemption is off and the user
 * critical section has no sleeping call), so the next unlock on this CPU while the count is
 * non-zero is that holder's. A holder that acquired by sleeping can only run again once no
 * spinning hold is outstanding here, so its unlock sees zero and leaves preemption alone.
 */
let spinningHolds = 0;

/** After a lock call: a synchronous (spinning) acquisition disables preemption until its unlock. */
function user_lock_acquired(spinning: boolean): void {
  if (!spinning) return;
  spinningHolds++;
  kapi.preemptDisable();
}

/** After an unlock call returned (before awaiting it): undo user_lock_acquired()'s preemptDisable. */
function user_lock_released(): void {
  if (spinningHolds === 0) return;
  spinningHolds--;
  // spin_unlock(): release, then preempt_enable(); a sleeping unlock must not sleep atomic.
  kapi.preemptEnable();
}

export interface UserOpsDelays {
  readonly write_delay: (trsp: TortureRandomState) => MaybeSleep;
  readonly read_delay: (trsp: TortureRandomState) => MaybeSleep;
}

export const user_ops_params = new ModuleParams('locktorture', ['lock']);
export const ops_module = user_ops_params.param('charp', 'ops_module', '', 'The lock-ops ES module of torture_type user', {
  pattern: /^\S+$/,
  expect: 'the path of a lock-ops ES module (set by --ops)',
});

/**
 * lock_torture_user_ops(): load `locktorture.ops_module` on this CPU, give it its shared memory,
 * and wrap it as lock_torture_ops with lockdep/tracking annotations around every call.
 */
export async function lock_torture_user_ops(delays: UserOpsDelays): Promise<LockTortureOps> {
  const file = ops_module.get();
  if (file === '') {
    throw new TortureError('OPS_MODULE', "Cannot run torture_type user as 'locktorture.ops_module' must be a module path: current value is unset");
  }
  const ops = checkOpsModule(await import(moduleUrl(file)), file);
  const words = Math.max(1, Math.ceil(ops.sharedBytes / 4));
  const region = kapi.shmAlloc(`user_lock_ops.${ops.name}`, words);
  const shared = new Int32Array(kapi.shm.buffer, region.base * 4, words);
  const key = kapi.lockClass(ops.name, 'user', LD_WAIT.SLEEP);
  const map: LockdepMap = { key, addr: region.base * 4, name: ops.name };
  const adapted: LockTortureOps = {
    name: 'user',
    init: () => ops.init(shared, kapi.smpProcessorId()),
    writelock: () => {
      kapi.lockdep.acquire(map, 0, false, 0, null);
      const r = ops.writeLock();
      if (isThenable(r)) return user_lock_wait(map, r);
      user_lock_acquired(true);
      return undefined;
    },
    write_delay: delays.write_delay,
    writeunlock: () => {
      kapi.lockdep.release(map);
      const r = ops.writeUnlock();
      user_lock_released();
      if (isThenable(r)) return user_unlock_wait(r);
      return undefined;
    },
  };
  const { readLock, readUnlock } = ops;
  if (readLock !== undefined && readUnlock !== undefined) {
    return {
      ...adapted,
      readlock: () => {
        kapi.lockdep.acquire(map, 0, false, 1, null);
        const r = readLock.call(ops);
        if (isThenable(r)) return user_lock_wait(map, r);
        user_lock_acquired(true);
        return undefined;
      },
      read_delay: delays.read_delay,
      readunlock: () => {
        kapi.lockdep.release(map);
        const r = readUnlock.call(ops);
        user_lock_released();
        if (isThenable(r)) return user_unlock_wait(r);
        return undefined;
      },
    };
  }
  return adapted;
}
