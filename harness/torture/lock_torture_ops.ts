/*
 * struct lock_torture_ops: what one locktorture type provides. Its own file so that the ops table
 * (lock_torture_types.ts) and the --ops adapter (user_ops.ts) share the interface without importing each
 * other.
 */

import type { TortureRandomState } from './common.js';

/** What a lock or delay may return: nothing (it did not sleep) or a promise to await (it may sleep). */
export type MaybeSleep = void | Promise<void>;

/** lock_torture_ops: one torture type. Called from stress kthreads (task context). */
export interface LockTortureOps {
  readonly name: string;
  /** Declare this type's lock instances; runs on every CPU at boot, in the same order. */
  init?(): void;
  writelock(tid: number): MaybeSleep;
  write_delay(trsp: TortureRandomState): MaybeSleep;
  writeunlock(tid: number): MaybeSleep;
  /**
   * task_boost(): the writer's periodic rt-boost before each acquisition, null to reset its prio
   * at the end; absent: torture_rt_boost() (lock_torture_rtmutex.ts), as every kernel type has.
   */
  task_boost?(trsp: TortureRandomState | null): void;
  /**
   * The holder's check that priority inheritance worked (rtmutex_lock): null when it did, else
   * what went wrong. A failure counts in the writer's Fail column.
   */
  check_boost?(): string | null;
  nested_lock?(tid: number, lockset: number): Promise<void>;
  nested_unlock?(tid: number, lockset: number): void;
  readlock?(tid: number): MaybeSleep;
  read_delay?(trsp: TortureRandomState): MaybeSleep;
  readunlock?(tid: number): MaybeSleep;
}
