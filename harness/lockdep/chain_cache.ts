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
  chainKey.hi = 0x5bd1e995 ^ ctx;
  chainKey.lo = ctx + 1;
}

/** The id a held lock contributes to its chain key. */
export function chainKeyId(cls: number, read: number, trylock: boolean): number {
  return cls | (read << 16) | (trylock ? 1 << 18 : 0);
}

/** iterate_chain_key(): mix one lock id into (hi, lo); the result lands in chainKey. */
export function mixChainKey(hi: number, lo: number, id: number): void {
  let a = lo ^ Math.imul(id, 0xcc9e2d51);
  a = Math.imul((a << 15) | (a >>> 17), 0x1b873593);
  let b = hi ^ Math.imul(id + 0x9e3779b9, 0x85ebca6b);
  b = (Math.imul((b << 13) | (b >>> 19), 5) + 0xe6546b64) | 0;
  chainKey.lo = a ^ (b >>> 7);
  chainKey.hi = b ^ (a << 3) ^ lo;
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

  /** lookup_chain_cache(): lock-free; true when the chain is in the hash. */
  find(hi: number, lo: number): boolean {
    const mask = this.#lay.chainSlots - 1;
    const i32 = this.#i32;
    const base = this.#lay.chains;
    const l = loWord(lo);
    let s = chainSlot(hi, lo, mask);
    for (let i = 0; i <= mask; i++) {
      const r = base + s * CHAIN_WORDS;
      // Pairs with the Atomics.store of CH_LO in insert(): CH_HI is written before it.
      const w = Atomics.load(i32, r + CH_LO);
      if (w === 0) return false;
      if (w === l && i32[r + CH_HI] === hi) return true;
      s = (s + 1) & mask;
    }
    return false;
  }

  /** add_chain_cache(): under the graph lock. */
  insert(hi: number, lo: number, ctx: IrqContext, depth: number): void {
    const b = this.#lay.base;
    const i32 = this.#i32;
    if (Atomics.load(i32, b + C_CHAINS) >= this.#lay.maxChains) throw new CapacityError('MAX_LOCKDEP_CHAINS');
    const mask = this.#lay.chainSlots - 1;
    const base = this.#lay.chains;
    let s = chainSlot(hi, lo, mask);
    for (;;) {
      const r = base + s * CHAIN_WORDS;
      if (Atomics.load(i32, r + CH_LO) === 0) {
        i32[r + CH_HI] = hi;
        Atomics.store(i32, r + CH_LO, loWord(lo));
        Atomics.add(i32, b + C_CHAINS, 1);
        Atomics.add(i32, b + C_CHAIN_HLOCKS, depth);
        Atomics.add(i32, b + (ctx >= 2 ? C_CHAINS_HARDIRQ : ctx === 1 ? C_CHAINS_SOFTIRQ : C_CHAINS_PROCESS), 1);
        return;
      }
      s = (s + 1) & mask;
    }
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

/** The local table's key word of a (chain hi word, task) pair. */
export function taskChainHi(hi: number, pid: number): number {
  return hi ^ Math.imul(pid + 1, 0x9e3779b1);
}
