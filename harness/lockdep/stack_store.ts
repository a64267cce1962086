/*
 * The string and stack store of lockdep (the kernel's stack_trace[] + stack_trace_hash[] of
 * save_trace(), plus the class-name strings): a bump arena of UTF-16 text in the shared region and
 * an open-addressed hash that deduplicates stacks, so that one call chain recorded by many
 * dependencies is stored once.
 *
 * Guarantees: writers (putString, putStack) run under the graph lock; readers need no lock: a
 * string id reaches another thread only through a later Atomics.store of that id, so the text it
 * names is complete. Decoded strings are cached per thread (ids are never reused).
 * Deliberately not done: freeing (the kernel never frees stack traces either).
 */

import { fnv1a } from '../lib/fnv1a.js';
import { C_ARENA_USED, C_STACK_ENTRIES, C_STACK_HASH_CHAINS, C_STACK_TRACES, type Layout } from './layout.js';

/** The project's one string hash (FNV-1a), under the name lockdep's callers use. */
export { fnv1a as hashString } from '../lib/fnv1a.js';

/** Why a capacity ran out (the kernel's message after `BUG: `). */
export type CapacityName = 'MAX_LOCKDEP_KEYS' | 'MAX_LOCKDEP_ENTRIES' | 'MAX_LOCKDEP_CHAINS' | 'MAX_STACK_TRACE_ENTRIES';

export class CapacityError extends Error {
  readonly limit: CapacityName;
  constructor(limit: CapacityName) {
    super(`BUG: ${limit} too low!`);
    this.limit = limit;
  }
}

/** The stack id of an environment's stack token. */
export function externalStackId(token: number): number {
  return -2 - token;
}

/** The token of an external stack id, or -1 for an id of the arena. */
export function tokenOf(id: number): number {
  return id < -1 ? -2 - id : -1;
}

export class StackStore {
  readonly #i32: Int32Array;
  readonly #lay: Layout;
  readonly #b: number;
  readonly #strings = new Map<number, string>();
  /**
   * Stacks the environment keeps itself (LockdepEnv.stackOf): id -2 - token. Only for a
   * single-threaded offline checker; ids of the arena are positive, 0 is "none".
   */
  external: ((token: number) => readonly string[]) | null = null;

  constructor(i32: Int32Array, lay: Layout) {
    this.#i32 = i32;
    this.#lay = lay;
    this.#b = lay.base;
  }

  #count(word: number): number {
    return Atomics.load(this.#i32, this.#b + word);
  }

  #bump(word: number, by = 1): void {
    Atomics.add(this.#i32, this.#b + word, by);
  }

  /** Store a string; returns its id (> 0). Under the graph lock. */
  putString(s: string): number {
    const words = 1 + ((s.length + 1) >> 1);
    const used = this.#count(C_ARENA_USED);
    if (used + words > this.#lay.arenaWords) throw new CapacityError('MAX_STACK_TRACE_ENTRIES');
    const at = this.#lay.arena + used;
    const i32 = this.#i32;
    i32[at] = s.length;
    for (let i = 0; i < s.length; i += 2) {
      const lo = s.charCodeAt(i);
      const hi = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      i32[at + 1 + (i >> 1)] = lo | (hi << 16);
    }
    // Publishes the text: a reader gets the id only through a later Atomics.store of the id.
    Atomics.store(i32, this.#b + C_ARENA_USED, used + words);
    return used + 1;
  }

  getString(id: number): string {
    if (id <= 0) return '';
    const cached = this.#strings.get(id);
    if (cached !== undefined) return cached;
    const at = this.#lay.arena + id - 1;
    const i32 = this.#i32;
    const len = i32[at] ?? 0;
    const codes: number[] = [];
    for (let i = 0; i < len; i++) {
      const w = i32[at + 1 + (i >> 1)] ?? 0;
      codes.push(i & 1 ? (w >>> 16) & 0xffff : w & 0xffff);
    }
    let s = '';
    for (let i = 0; i < codes.length; i += 4096) s += String.fromCharCode(...codes.slice(i, i + 4096));
    this.#strings.set(id, s);
    return s;
  }

  /** save_trace(): store a stack (deduplicated through the stack hash). Under the graph lock. */
  putStack(frames: readonly string[]): number {
    const text = frames.join('\n');
    const h = fnv1a(text);
    const slots = this.#lay.stackHashSlots;
    for (let i = 0; i < slots; i++) {
      const slot = this.#lay.stackHash + ((h + i) & (slots - 1));
      const id = Atomics.load(this.#i32, slot);
      if (id === 0) {
        if (this.#count(C_STACK_ENTRIES) + frames.length > this.#lay.maxStackEntries) throw new CapacityError('MAX_STACK_TRACE_ENTRIES');
        const nid = this.putString(text);
        this.#bump(C_STACK_ENTRIES, frames.length);
        this.#bump(C_STACK_TRACES);
        if (i === 0) this.#bump(C_STACK_HASH_CHAINS);
        Atomics.store(this.#i32, slot, nid);
        return nid;
      }
      if (this.getString(id) === text) return id;
    }
    // Hash full: store without deduplication.
    if (this.#count(C_STACK_ENTRIES) + frames.length > this.#lay.maxStackEntries) throw new CapacityError('MAX_STACK_TRACE_ENTRIES');
    this.#bump(C_STACK_ENTRIES, frames.length);
    this.#bump(C_STACK_TRACES);
    return this.putString(text);
  }

  getStack(id: number): string[] {
    if (id < 0) return this.external !== null ? [...this.external(-2 - id)] : [];
    if (id === 0) return [];
    const s = this.getString(id);
    return s === '' ? [] : s.split('\n');
  }
}
