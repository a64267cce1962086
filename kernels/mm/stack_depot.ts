/*
 * lib/stackdepot.c, reduced: call chains saved once in guest shared memory and named by a handle,
 * so that a SLAB_STORE_USER track written on one CPU (the allocation) can be printed on another
 * (the report at a later free, mem_dump_obj() from the stats kthread).
 *
 * Layout (region `stack_depot`): D_COUNT (entries handed out), D_TOP (bytes of the text arena
 * used), then DEPOT_ENTRIES entries of two words (byte offset in the arena, length + 1), then the
 * arena: the frames of a chain as UTF-8, joined by '\n'. An entry is published by the store of
 * its length word, after its text (Atomics.store; pairs with the Atomics.load in
 * stack_depot_fetch()). Handles are entry + 1, so 0 is "no stack".
 *
 * Departures: no global deduplication. Each CPU thread remembers the chains it saved (a local
 * map from text to handle), so a chain is stored at most once per CPU thread. When the depot is
 * full, stack_depot_save() returns 0 and the track prints the kernel's "stack trace missing" line.
 */

import { kapi, type ShmRegion } from '../../harness/kapi.js';

const DEPOT_ENTRIES = 4096;
const DEPOT_BYTES = 512 * 1024;
const D_COUNT = 0;
const D_TOP = 1;
const D_ENTRIES = 16;
const D_ARENA = D_ENTRIES + 2 * DEPOT_ENTRIES;

let depot_: ShmRegion | null = null;
const saved = new Map<string, number>();
const fetched = new Map<number, readonly string[]>();

function depot(): ShmRegion {
  depot_ ??= kapi.shmAlloc('stack_depot', D_ARENA + DEPOT_BYTES / 4);
  return depot_;
}

/** stack_depot_save(): a handle for `frames` (innermost first), 0 when the depot is full. */
export function stack_depot_save(frames: readonly string[]): number {
  const text = frames.join('\n');
  const known = saved.get(text);
  if (known !== undefined) return known;
  const d = depot();
  const i32 = kapi.shm;
  const bytes = new TextEncoder().encode(text);
  const entry = Atomics.add(i32, d.base + D_COUNT, 1);
  if (entry >= DEPOT_ENTRIES) return 0;
  const off = Atomics.add(i32, d.base + D_TOP, bytes.length);
  if (off + bytes.length > DEPOT_BYTES) return 0;
  new Uint8Array(i32.buffer, (d.base + D_ARENA) * 4 + off, bytes.length).set(bytes);
  i32[d.base + D_ENTRIES + 2 * entry] = off;
  Atomics.store(i32, d.base + D_ENTRIES + 2 * entry + 1, bytes.length + 1); // publish
  saved.set(text, entry + 1);
  return entry + 1;
}

/** stack_depot_fetch(): the frames of `handle`, [] for none (0, unknown, or not yet published). */
export function stack_depot_fetch(handle: number): readonly string[] {
  if (handle <= 0 || handle > DEPOT_ENTRIES) return [];
  const hit = fetched.get(handle);
  if (hit !== undefined) return hit;
  const d = depot();
  const i32 = kapi.shm;
  const len = Atomics.load(i32, d.base + D_ENTRIES + 2 * (handle - 1) + 1) - 1;
  if (len < 0) return [];
  const off = i32[d.base + D_ENTRIES + 2 * (handle - 1)] ?? 0;
  const text = new TextDecoder().decode(new Uint8Array(i32.buffer, (d.base + D_ARENA) * 4 + off, len).slice());
  const frames = text === '' ? [] : text.split('\n');
  fetched.set(handle, frames);
  return frames;
}

/** Boot: the depot region, the same on every CPU. */
export function stack_depot_init(): void {
  depot();
}
