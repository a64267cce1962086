/*
 * __lock_acquire()'s fast path on a repeat acquisition (stack-capture sites only: guests, bench
 * CPUs, user programs): what the kernel does when lookup_chain_cache() finds the chain and
 * mark_usage() finds every bit already set. Two steps, both integer work on typed arrays: the
 * slot's repeat memo (rememberHit(): the same acquisition again on the same chain, so only the
 * depth moves), then acquireHit(): the usage test (one load of the class's usage word), the
 * chain key (iterate_chain_key), one probe of the thread-local (chain, task) table, the
 * held-lock push. No object, no closure, no stack capture. Like lockdep_map::class_cache
 * (class_lookup.ts), the memo takes a map's key as fixed (a re-keyed lock is a new map object).
 *
 * Why a hit may skip check_wait_context(): a (chain, task) pair enters the thread-local table
 * only after an acquisition of it passed the wait-context check (validator.ts returns before the
 * chain look-up when the check fails), and the check's verdict is a function of what the key
 * holds: the classes of the irq context's run of held locks (each class has one wait type), the
 * irq context, the new lock's trylock flag, and whether the hardirq is threaded, which the
 * table's key word mixes in (taskChainHi()). The entry's wait type is still recorded, since later
 * acquisitions read it.
 *
 * Anything else (nest_lock, lock_sync(), depth overflow, a new usage bit, a chain the table has
 * not seen) returns false and the caller takes the full __lock_acquire() path, which handles the
 * same acquisition from the start (nothing here has been written but scratch key words).
 */

import { chainKey, chainKeyId, initialChainHi, initialChainLo, mixChainHi, taskChainHi, type LocalChains } from './chain_cache.js';
import type { LockdepMap } from '../kapi.js';
import type { Graph } from './graph.js';
import type { HeldLocks } from './held_locks.js';
import { MAX_LOCK_DEPTH } from './layout.js';
import { IRQ_HARDIRQ, IRQ_IRQS_OFF, IRQ_SOFTIRQ, IRQ_THREADED, usageNeed } from './usage.js';
import { waitInnerOf } from './wait_types.js';

/** What the repeat memo compares besides the map: subclass, IRQ_* bits, trylock, read. */
export function memoBits(subclass: number, read: number, trylock: boolean, irq: number): number {
  return (subclass << 8) | (irq << 3) | (trylock ? 4 : 0) | read;
}

/** The IRQ_* bits of a memoBits() word. */
export function memoIrq(memo: number): number {
  return (memo >> 3) & 31;
}

/**
 * Slot d was just filled by `map`'s acquisition and passed the chain cache: remember it. The
 * memo's hit (written out in Validator.acquireIrq()): slot d was last filled by this very
 * acquisition (same map, subclass, read, trylock, irq state, hence the same class and usage
 * need) and the held locks below it form the same chain as then (keyHi/keyLo[d], which the fill
 * of slot d - 1 writes), so the slot's fields, its map included, are still right: only the depth
 * moves. Nothing else needs checking: usage bits only ever grow (the mark_usage() test passed then
 * still passes), the chain is in the shared hash for good, and the wait-context verdict is the
 * same as the chain-cache hit's (above). Every other fill of a slot clears its memo, and so does
 * emptying it (Validator #removeAt()).
 */
export function rememberHit(h: HeldLocks, d: number, map: LockdepMap, memo: number): void {
  h.last[d] = map;
  h.lastBits[d] = memo;
  h.preHi[d] = h.keyHi[d]!;
  h.preLo[d] = h.keyLo[d]!;
}

/**
 * Push `map` (class cls, read, trylock) on `h` when its chain is in `local` for task `pid` and
 * its class already has every usage bit this acquisition sets; false (nothing pushed) otherwise.
 * `irq` is the IRQ_* bits of usage.ts. The caller sets h.depth (and its high-water mark).
 */
export function acquireHit(g: Graph, local: LocalChains, h: HeldLocks, pid: number, map: LockdepMap, cls: number, read: number, trylock: boolean, irq: number, rawLockNesting: boolean): boolean {
  // Small on purpose (no `?? 0`, no scratch object): V8 inlines a function of at most 460
  // bytecodes into the lock's hook, and this one is on every acquisition.
  const d = h.depth;
  if (d >= MAX_LOCK_DEPTH) return false;
  const need = usageNeed(read, trylock, irq);
  if ((g.usageHint(cls) & need) !== need) return false;
  const ctx = irq & (IRQ_HARDIRQ | IRQ_SOFTIRQ);
  const head = d === 0 || h.ctx[d - 1] !== ctx;
  const id = chainKeyId(cls, read, trylock);
  const hi = mixChainHi(head ? initialChainHi(ctx) : h.keyHi[d]!, head ? initialChainLo(ctx) : h.keyLo[d]!, id);
  const lo = chainKey.lo;
  const site1 = local.lookup(taskChainHi(hi, pid, (irq & (IRQ_THREADED | IRQ_HARDIRQ)) === (IRQ_THREADED | IRQ_HARDIRQ)), lo);
  if (site1 === 0) return false;
  h.cls[d] = cls;
  h.read[d] = read;
  h.trylock[d] = trylock ? 1 : 0;
  h.refs[d] = 0;
  h.ctx[d] = ctx;
  h.irqsOff[d] = (irq & (IRQ_IRQS_OFF | IRQ_HARDIRQ)) !== 0 ? 1 : 0;
  h.wait[d] = waitInnerOf(map, rawLockNesting);
  h.site[d] = site1 - 1;
  h.maps[d] = map;
  h.nest[d] = null;
  h.keyHi[d + 1] = hi;
  h.keyLo[d + 1] = lo;
  return true;
}
