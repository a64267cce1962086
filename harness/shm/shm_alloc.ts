/*
 * shmAlloc: named static allocation in a guest's shared memory, the analogue of a kernel's static
 * variables. The same name yields the same region on every CPU, so `DEFINE_MUTEX(slab_mutex)`
 * evaluated on eight worker threads names one lock word. The table also lets the hang detector
 * turn a lock address back into its name.
 *
 * Allocation takes a tiny spin lock (HDR_SYM_LOCK); the region's init callback runs after the
 * lock is dropped (it may allocate too), and other CPUs that find the entry wait on SYM_READY.
 * Regions are never freed.
 */

import type { ShmRegion } from '../kapi.js';
import { fnv1a } from '../lib/fnv1a.js';
import {
  HDR_HEAP_BRK,
  HDR_SYM_COUNT,
  HDR_SYM_LOCK,
  HDR_SYM_NAME_USED,
  MAX_SYMS,
  SYM_BASE,
  SYM_ENTRY_WORDS,
  SYM_HASH,
  SYM_NAME_ARENA_BYTES,
  SYM_NAME_BASE,
  SYM_NAME_LEN,
  SYM_NAME_OFF,
  SYM_OFFSET,
  SYM_READY,
  SYM_SIZE,
  WORDS_PER_LINE,
  alignLine,
} from './layout.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ShmAllocator {
  readonly #i32: Int32Array;
  readonly #u8: Uint8Array;
  readonly #heapEnd: number;
  readonly #cache = new Map<string, ShmRegion>();

  constructor(i32: Int32Array, heapBase: number, heapEnd: number) {
    this.#i32 = i32;
    this.#u8 = new Uint8Array(i32.buffer);
    this.#heapEnd = heapEnd;
    // The first allocator to see a zero break sets it; pairs with the loads in #alloc.
    Atomics.compareExchange(i32, HDR_HEAP_BRK, 0, heapBase);
  }

  alloc(name: string, words: number, init?: (r: ShmRegion) => void): ShmRegion {
    const cached = this.#cache.get(name);
    if (cached) return cached;
    const bytes = encoder.encode(name);
    const hash = fnv1a(bytes) | 0;
    const i32 = this.#i32;
    this.#lock();
    let entry = this.#find(hash, bytes);
    let created = false;
    if (entry < 0) {
      const count = Atomics.load(i32, HDR_SYM_COUNT);
      const nameUsed = Atomics.load(i32, HDR_SYM_NAME_USED);
      const brk = Atomics.load(i32, HDR_HEAP_BRK);
      const size = alignLine(Math.max(1, words));
      if (count >= MAX_SYMS || nameUsed + bytes.length > SYM_NAME_ARENA_BYTES || brk + size > this.#heapEnd) {
        this.#unlock();
        throw new Error(`shmAlloc: guest shared memory exhausted allocating '${name}' (${words} words)`);
      }
      entry = SYM_BASE + count * SYM_ENTRY_WORDS;
      this.#u8.set(bytes, SYM_NAME_BASE * 4 + nameUsed);
      i32[entry + SYM_HASH] = hash;
      i32[entry + SYM_OFFSET] = brk;
      i32[entry + SYM_SIZE] = words;
      i32[entry + SYM_NAME_OFF] = nameUsed;
      i32[entry + SYM_NAME_LEN] = bytes.length;
      Atomics.store(i32, entry + SYM_READY, 0);
      Atomics.store(i32, HDR_SYM_NAME_USED, nameUsed + bytes.length);
      Atomics.store(i32, HDR_HEAP_BRK, brk + size);
      // Publishing the count last makes the entry visible to #find on other CPUs; pairs with
      // the Atomics.load of HDR_SYM_COUNT there (the entry words above are written before it).
      Atomics.store(i32, HDR_SYM_COUNT, count + 1);
      created = true;
    }
    this.#unlock();
    const offset = Atomics.load(i32, entry + SYM_OFFSET);
    const size = Atomics.load(i32, entry + SYM_SIZE);
    if (size < words) throw new Error(`shmAlloc: '${name}' exists with ${size} words, ${words} asked`);
    const region: ShmRegion = { i32, base: offset, words: size };
    if (created) {
      init?.(region);
      Atomics.store(i32, entry + SYM_READY, 1);
      Atomics.notify(i32, entry + SYM_READY); // pairs with the wait below on other CPUs
    } else {
      while (Atomics.load(i32, entry + SYM_READY) === 0) Atomics.wait(i32, entry + SYM_READY, 0, 50);
    }
    this.#cache.set(name, region);
    return region;
  }

  /** The name of the region containing absolute word `word`, with the word offset inside it. */
  symbolize(word: number): { name: string; offset: number } | null {
    return symbolize(this.#i32, word);
  }

  #find(hash: number, bytes: Uint8Array): number {
    const i32 = this.#i32;
    const count = Atomics.load(i32, HDR_SYM_COUNT);
    for (let e = 0; e < count; e++) {
      const entry = SYM_BASE + e * SYM_ENTRY_WORDS;
      if (i32[entry + SYM_HASH] !== hash || i32[entry + SYM_NAME_LEN] !== bytes.length) continue;
      const off = SYM_NAME_BASE * 4 + (i32[entry + SYM_NAME_OFF] ?? 0);
      let same = true;
      for (let b = 0; b < bytes.length; b++) {
        if (this.#u8[off + b] !== bytes[b]) {
          same = false;
          break;
        }
      }
      if (same) return entry;
    }
    return -1;
  }

  #lock(): void {
    const i32 = this.#i32;
    for (;;) {
      if (Atomics.compareExchange(i32, HDR_SYM_LOCK, 0, 1) === 0) return;
      Atomics.wait(i32, HDR_SYM_LOCK, 1, 1);
    }
  }

  #unlock(): void {
    Atomics.store(this.#i32, HDR_SYM_LOCK, 0);
    Atomics.notify(this.#i32, HDR_SYM_LOCK, 1); // pairs with the wait in #lock
  }
}

/** Find the symbol holding word `word` (any thread, read-only). */
export function symbolize(i32: Int32Array, word: number): { name: string; offset: number } | null {
  const u8 = new Uint8Array(i32.buffer);
  const count = Atomics.load(i32, HDR_SYM_COUNT);
  for (let e = 0; e < count; e++) {
    const entry = SYM_BASE + e * SYM_ENTRY_WORDS;
    const off = i32[entry + SYM_OFFSET] ?? 0;
    const size = Math.max(i32[entry + SYM_SIZE] ?? 0, 1);
    if (word >= off && word < off + Math.ceil(size / WORDS_PER_LINE) * WORDS_PER_LINE) {
      const nOff = SYM_NAME_BASE * 4 + (i32[entry + SYM_NAME_OFF] ?? 0);
      const name = decoder.decode(u8.slice(nOff, nOff + (i32[entry + SYM_NAME_LEN] ?? 0)));
      return { name, offset: word - off };
    }
  }
  return null;
}

/** The region named `name` (any thread, read-only; for reading a guest's statistics at shutdown), or null. */
export function findSymbol(i32: Int32Array, name: string): { base: number; words: number } | null {
  const u8 = new Uint8Array(i32.buffer);
  const want = encoder.encode(name);
  const count = Atomics.load(i32, HDR_SYM_COUNT);
  for (let e = 0; e < count; e++) {
    const entry = SYM_BASE + e * SYM_ENTRY_WORDS;
    if ((i32[entry + SYM_NAME_LEN] ?? -1) !== want.length) continue;
    const nOff = SYM_NAME_BASE * 4 + (i32[entry + SYM_NAME_OFF] ?? 0);
    if (want.every((b, k) => u8[nOff + k] === b)) return { base: i32[entry + SYM_OFFSET] ?? 0, words: i32[entry + SYM_SIZE] ?? 0 };
  }
  return null;
}
