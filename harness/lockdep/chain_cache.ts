/*
 * The lock-chain cache of lockdep (the kernel's iterate_chain_key(), chainhash_table and
 * lookup_chain_cache()): a 64-bit chain key mixed over the (class, read, trylock) of the held
 * locks of one irq context, the slot hash both tables share, the shared chain hash in the region
 * (one entry per chain validated anywhere in the guest), and the thread-local table in front of it.
 *
 * Guarantees:
 *  - Key mixing and slot hashing are pure and allocation-free: mixChainKey() returns its two words
 *    through the module's chainKey scratch object.
 *  - The shared hash is read lock-free (a slot is published by the Atomics.store of CH_LO after
 *    CH_HI is written) and written under the graph lock.
 *  - The thread-local table needs no lock at all; it forgets everything when half full. Its
 *    entries are per (chain, task) and carry that task's acquisition site.
 * Deliberately not done: chain_hlocks (the classes of a chain are not stored; a chain is only
 * ever looked up by key), chain removal.
 */

import { C_CHAIN_HLOCKS, C_CHAINS, C_CHAINS_HARDIRQ, C_CHAINS_PROCESS, C_CHAINS_SOFTIRQ, CH_HI, CH_LO, CHAIN_WORDS, type Layout } from './layout.js';
import { CapacityError } from './stack_store.js';

/** irq context of a held lock, as the chain key separates them: 0 process, 1 softirq, 2 hardirq (3 both). */
export type IrqContext = number;

/** The result words of mixChainKey() (module scratch: the hot path returns two words without allocating). */
export const chainKey = { hi: 0, lo: 0 };

/** The chain key of the first lock of an irq context (the kernel's INITIAL_CHAIN_KEY per context). */
export function initialChainKey(ctx: IrqContext): void {
  chainKey.hi = initialChainHi(ctx);
  chainKey.lo = initialChainLo(ctx);
}

/** initialChainKey()'s two words, for a caller that keeps them in locals. */
export function initialChainHi(ctx: IrqContext): number {
  return 0x5bd1e995 ^ ctx;
}

export function initialChainLo(ctx: IrqContext): number {
  return ctx + 1;
}

/** The id a held lock contributes to its chain key. */
export function chainKeyId(cls: number, read: number, trylock: boolean): number {
  return cls | (read << 16) | (trylock ? 1 << 18 : 0);
}

/** iterate_chain_key(): mix one lock id into (hi, lo); the result lands in chainKey. */
export function mixChainKey(hi: number, lo: number, id: number): void {
  chainKey.hi = mixChainHi(hi, lo, id);
}

/** mixChainKey() returning the new hi word (chainKey.lo holds the new lo word). */
export function mixChainHi(hi: number, lo: number, id: number): number {
  let a = lo ^ Math.imul(id, 0xcc9e2d51);
  a = Math.imul((a << 15) | (a >>> 17), 0x1b873593);
  let b = hi ^ Math.imul(id + 0x9e3779b9, 0x85ebca6b);
  b = (Math.imul((b << 13) | (b >>> 19), 5) + 0xe6546b64) | 0;
  chainKey.lo = a ^ (b >>> 7);
  return b ^ (a << 3) ^ lo;
}

/** The home slot of a chain key in a table of `mask + 1` slots (a power of two). */
export function chainSlot(hi: number, lo: number, mask: number): number {
  return (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
}

/** The CH_LO word of a key: never 0, since 0 marks an empty slot (one key in 2^32 shares its word). */
function loWord(lo: number): number {
  return lo === 0 ? 0x6a09e667 : lo;
}

/** The shared chain hash (chainhash_table) in the lockdep region. */
export class SharedChains {
  readonly #i32: Int32Array;
  readonly #lay: Layout;

  constructor(i32: Int32Array, lay: Layout) {
    this.#i32 = i32;
    this.#lay = lay;
  }

  /**
   * lookup_chain_cache(): lock-free. Returns the chain's slot (>= 0) when it is in the hash, else
   * `-1 - slot` of the empty slot where its probe sequence ended: insert() starts there, so a miss
   * costs one probe sequence in all, not three (look-up, re-check under the lock, insert).
   *
   * The probe reads slots with plain loads: V8 does not inline Atomics.load, and a chain-cache
   * probe runs on every acquisition. A slot's CH_LO only ever goes from 0 to its final value, and
   * an aligned Int32 read never tears, so a plain load sees either 0 (stale or empty: a miss,
   * which insert() re-probes under the graph lock) or the final word. Only a CH_LO that matches
   * is re-read with Atomics.load, which pairs with the Atomics.store in insert() and makes CH_HI,
   * written before it, visible: a match is never judged on a stale CH_HI.
   */
  find(hi: number, lo: number): number {
    const mask = this.#lay.chainSlots - 1;
    const i32 = this.#i32;
    const base = this.#lay.chains;
    const l = loWord(lo);
    let s = chainSlot(hi, lo, mask);
    for (let i = 0; i <= mask; i++) {
      const r = base + s * CHAIN_WORDS;
      const w = i32[r + CH_LO] ?? 0;
      if (w === 0) return -1 - s;
      if (w === l && Atomics.load(i32, r + CH_LO) === l && i32[r + CH_HI] === hi) return s;
      s = (s + 1) & mask;
    }
    return -1 - s;
  }

  /**
   * add_chain_cache(), under the graph lock: insert the chain unless another thread did since
   * `miss` (find()'s miss result). Slots are never emptied, so every slot of the probe sequence
   * before the miss slot held another chain and still does; probing goes on from there (the slot
   * may have filled since). Returns false when the chain was already there (nothing inserted).
   */
  insert(hi: number, lo: number, ctx: IrqContext, depth: number, miss: number): boolean {
    const b = this.#lay.base;
    const i32 = this.#i32;
    const mask = this.#lay.chainSlots - 1;
    const base = this.#lay.chains;
    const l = loWord(lo);
    let s = (-1 - miss) & mask;
    for (let i = 0; i <= mask; i++) {
      const r = base + s * CHAIN_WORDS;
      // Under the graph lock every insert() before this one is visible (lock() pairs with unlock()).
      const w = i32[r + CH_LO] ?? 0;
      if (w === 0) break;
      if (w === l && i32[r + CH_HI] === hi) return false;
      s = (s + 1) & mask;
    }
    if ((i32[b + C_CHAINS] ?? 0) >= this.#lay.maxChains) throw new CapacityError('MAX_LOCKDEP_CHAINS');
    const r = base + s * CHAIN_WORDS;
    i32[r + CH_HI] = hi;
    // Pairs with the Atomics.load of a matching CH_LO in find(): CH_HI is written first.
    Atomics.store(i32, r + CH_LO, l);
    // Statistics counters written only under the graph lock: plain adds (Graph.bumpLocked()).
    i32[b + C_CHAINS] = (i32[b + C_CHAINS] ?? 0) + 1;
    i32[b + C_CHAIN_HLOCKS] = (i32[b + C_CHAIN_HLOCKS] ?? 0) + depth;
    const cw = b + (ctx >= 2 ? C_CHAINS_HARDIRQ : ctx === 1 ? C_CHAINS_SOFTIRQ : C_CHAINS_PROCESS);
    i32[cw] = (i32[cw] ?? 0) + 1;
    return true;
  }
}

/** Slots of the thread-local table (a power of two). */
const LOCAL_SLOTS = 1 << 14;

/**
 * The thread-local table in front of the shared hash: open addressing over (hi, lo, site + 1) of
 * (chain, task) pairs. The key mixes in the task, so the site it keeps is this task's own
 * acquisition of the chain, not the site of whichever task validated the chain first.
 */
export class LocalChains {
  readonly #t = new Int32Array(LOCAL_SLOTS * 3);
  #count = 0;

  /** The site + 1 this task recorded with the chain, or 0 when this thread has not seen the pair. */
  lookup(hi: number, lo: number): number {
    const t = this.#t;
    let s = chainSlot(hi, lo, LOCAL_SLOTS - 1);
    for (;;) {
      const r = s * 3;
      const site1 = t[r + 2] ?? 0;
      if (site1 === 0) return 0;
      if (t[r] === hi && t[r + 1] === lo) return site1;
      s = (s + 1) & (LOCAL_SLOTS - 1);
    }
  }

  put(hi: number, lo: number, site: number): void {
    if (this.#count >= LOCAL_SLOTS / 2) {
      this.#t.fill(0);
      this.#count = 0;
    }
    const t = this.#t;
    let s = chainSlot(hi, lo, LOCAL_SLOTS - 1);
    while ((t[s * 3 + 2] ?? 0) !== 0) s = (s + 1) & (LOCAL_SLOTS - 1);
    t[s * 3] = hi;
    t[s * 3 + 1] = lo;
    t[s * 3 + 2] = site + 1;
    this.#count++;
  }
}

/**
 * The local table's key word of a (chain hi word, task) pair; `threaded` (a threaded hardirq
 * handler's acquisition, in hardirq context) keys its own entry, since the wait-context check a hit
 * skips depends on it there (acquire_hit.ts).
 */
export function taskChainHi(hi: number, pid: number, threadedHardirq: boolean): number {
  return hi ^ Math.imul(pid + 1, 0x9e3779b1) ^ (threadedHardirq ? 0x2545f491 : 0);
}
