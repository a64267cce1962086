/*
 * One task's held-lock stack (the kernel's task_struct::held_locks[]), kept on LockdepTask.lockdep.
 * Plain typed arrays sized MAX_LOCK_DEPTH so the acquire/release hot path allocates nothing.
 * keyHi/keyLo[i + 1] is the chain key after entry i (the kernel's prev_chain_key of entry i + 1).
 */

import type { LockdepMap } from '../kapi.js';
import { MAX_LOCK_DEPTH } from './layout.js';
import type { LockdepTask } from './types.js';

export class HeldLocks {
  depth = 0;
  readonly cls = new Int32Array(MAX_LOCK_DEPTH + 1);
  readonly read = new Int8Array(MAX_LOCK_DEPTH + 1);
  readonly trylock = new Uint8Array(MAX_LOCK_DEPTH + 1);
  /** nest_lock references: instances of the same class merged into one entry (0 = single). */
  readonly refs = new Int32Array(MAX_LOCK_DEPTH + 1);
  /** irq context of the acquisition: 0 process, 1 softirq, 2 hardirq (3 both). */
  readonly ctx = new Uint8Array(MAX_LOCK_DEPTH + 1);
  readonly irqsOff = new Uint8Array(MAX_LOCK_DEPTH + 1);
  /** The class's inner wait type as lockdep numbers it (wait_context.ts), 0 for LD_WAIT_INV. */
  readonly wait = new Uint8Array(MAX_LOCK_DEPTH + 1);
  /** Stack id (one frame) of the acquisition site, 0 when unknown. */
  readonly site = new Int32Array(MAX_LOCK_DEPTH + 1);
  readonly maps: (LockdepMap | null)[] = new Array<LockdepMap | null>(MAX_LOCK_DEPTH + 1).fill(null);
  readonly nest: (LockdepMap | null)[] = new Array<LockdepMap | null>(MAX_LOCK_DEPTH + 1).fill(null);
  readonly keyHi = new Int32Array(MAX_LOCK_DEPTH + 2);
  readonly keyLo = new Int32Array(MAX_LOCK_DEPTH + 2);
  /*
   * The repeat memo of acquire_hit.ts: the map whose acquisition last filled slot i and passed
   * the chain cache (null once the slot is filled any other way), its memoBits(), and the chain
   * key below it then (keyHi/keyLo[i]). The slot's other fields outlive a release, so a repeat
   * of the same acquisition on the same chain only pushes the map again.
   */
  readonly last: (LockdepMap | null)[] = new Array<LockdepMap | null>(MAX_LOCK_DEPTH + 1).fill(null);
  readonly lastBits = new Int32Array(MAX_LOCK_DEPTH + 1);
  readonly preHi = new Int32Array(MAX_LOCK_DEPTH + 1);
  readonly preLo = new Int32Array(MAX_LOCK_DEPTH + 1);
  /** The task's irqtrace_events (kept only where stack tokens make the sites free). */
  readonly irq = new IrqTrace();
}

/**
 * struct irqtrace_events: a per-task counter of irq on/off transitions and, for each of the four
 * kinds, the stamp and the site (a stack id) of the last one; plus the task's own view of whether
 * hardirqs / softirqs are enabled (tasks start with both on), which tells a transition from a
 * redundant call.
 */
export class IrqTrace {
  events = 0;
  hardirqEnableEvent = 0;
  hardirqEnableSite = 0;
  hardirqDisableEvent = 0;
  hardirqDisableSite = 0;
  softirqEnableEvent = 0;
  softirqEnableSite = 0;
  softirqDisableEvent = 0;
  softirqDisableSite = 0;
  hardirqsEnabled = true;
  softirqsEnabled = true;
}

/**
 * One acquisition as __lock_acquire() takes it (the fields of struct held_lock the caller fills):
 * the validator pushes it on the task's HeldLocks. Callers on the hot path reuse one record.
 */
export interface HeldLock {
  map: LockdepMap;
  cls: number;
  /** 0 write, 1 read, 2 recursive read. */
  read: number;
  trylock: boolean;
  nest: LockdepMap | null;
  hardirq: boolean;
  /** In a threaded hardirq handler (LockdepIrqState.hardirqThreaded). */
  hardirqThreaded: boolean;
  softirq: boolean;
  irqsOff: boolean;
  bhOff: boolean;
  /**
   * mark_usage() for this acquisition; false when reacquire_held_locks() re-adds an entry whose
   * usage was marked when it was first taken.
   */
  checkUsage: boolean;
}

/** The same lock instance: the same map object, or the same address and key (maps may be per thread). */
export function sameLock(a: LockdepMap | null, b: LockdepMap): boolean {
  if (a === null) return false;
  if (a === b) return true;
  return a.addr === b.addr && a.key.name === b.key.name && a.key.ordinal === b.key.ordinal;
}

/**
 * The task's held-lock stack, created on its first acquisition. LockdepTask.lockdep is reserved
 * for it (types.ts) and only this function writes it, so a defined field is one: no instanceof
 * walk on every lock operation.
 */
export function heldLocksOf(task: LockdepTask): HeldLocks {
  const h = task.lockdep;
  if (h !== undefined) return h as HeldLocks;
  const n = new HeldLocks();
  task.lockdep = n;
  return n;
}
