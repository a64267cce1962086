/*
 * The stacks of hung tasks, shared between executors, so that one hung-task report lists every
 * hung task of the guest as the kernel's khungtaskd does (check_hung_uninterruptible_tasks() walks
 * every thread, prints each hung one, then the locks, then panics). Here each executor's khungtaskd
 * scans only its own sleepers, and only an executor can take the stack of its own sleeping task (V8
 * keeps a suspended task's async call chain only for code running inside it: Sleepers.probe()), so
 * each executor publishes the stacks of its hung tasks in this table and the one that reports reads
 * the others' from it (khungtaskd.ts has the gathering, harness/cpu/README.md "Hung tasks" why).
 *
 * A named shared region: a count of claimed entries, then entries of [slot + 1, sleep start
 * (jiffies), text length in bytes, unused, the frames as UTF-8 lines]. An entry is written whole
 * and published by the store of its slot word; a reader that sees the slot word sees the rest.
 * Entries are never reused: a guest reports hung tasks once and then panics.
 */

import type { ShmRegion } from '../kapi.js';

/** The region's name in the guest's shared memory (harness/shm/shm_alloc.ts). */
export const HUNG_STACKS_NAME = 'khungtaskd_stacks';
/** Hung tasks whose stacks can be published; more are reported without a stack. */
export const HUNG_STACK_ENTRIES = 64;
/** Room for one task's frames: SLEEP_STACK_LIMIT lines of some 60-90 characters. */
const TEXT_BYTES = 4096;
const HEAD_WORDS = 4;
const ENTRY_WORDS = HEAD_WORDS + TEXT_BYTES / 4;
/** The region's size in words. */
export const HUNG_STACKS_WORDS = 1 + HUNG_STACK_ENTRIES * ENTRY_WORDS;

const E_SLOT = 0;
const E_SINCE = 1;
const E_LEN = 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function entryAt(r: ShmRegion, e: number): number {
  return r.base + 1 + e * ENTRY_WORDS;
}

/** Whether every entry is taken: later hung tasks are reported without their stacks. */
export function hungStacksFull(r: ShmRegion): boolean {
  return Atomics.load(r.i32, r.base) >= HUNG_STACK_ENTRIES;
}

/** The published frames of the task in `slot` for its sleep that began at `sinceJ`, or null. */
export function findHungStack(r: ShmRegion, slot: number, sinceJ: number): string[] | null {
  const i32 = r.i32;
  const n = Math.min(Atomics.load(i32, r.base), HUNG_STACK_ENTRIES);
  for (let e = 0; e < n; e++) {
    const at = entryAt(r, e);
    // Pairs with the slot word's Atomics.store in publishHungStack(): the entry is whole once seen.
    if (Atomics.load(i32, at + E_SLOT) !== slot + 1 || Atomics.load(i32, at + E_SINCE) !== sinceJ) continue;
    const len = Atomics.load(i32, at + E_LEN);
    const bytes = new Uint8Array(i32.buffer, i32.byteOffset + (at + HEAD_WORDS) * 4, len);
    // TextDecoder does not take a view of shared memory: copy it out first.
    const text = decoder.decode(bytes.slice());
    return text === '' ? [] : text.split('\n');
  }
  return null;
}

/**
 * Publish the frames of the task in `slot` asleep since `sinceJ` (once per sleep). Whole lines
 * only: a stack longer than an entry loses its outermost frames. False when the table is full.
 */
export function publishHungStack(r: ShmRegion, slot: number, sinceJ: number, frames: readonly string[]): boolean {
  // A task without a slot (past MAX_TASKS) has no mirror another executor could list it by.
  if (slot < 0) return false;
  if (findHungStack(r, slot, sinceJ) !== null) return true;
  if (hungStacksFull(r)) return false;
  const i32 = r.i32;
  const e = Atomics.add(i32, r.base, 1);
  if (e >= HUNG_STACK_ENTRIES) return false;
  let text = '';
  for (const f of frames) {
    const next = text === '' ? f : `${text}\n${f}`;
    if (encoder.encode(next).length > TEXT_BYTES) break;
    text = next;
  }
  const bytes = encoder.encode(text);
  const at = entryAt(r, e);
  new Uint8Array(i32.buffer, i32.byteOffset + (at + HEAD_WORDS) * 4, bytes.length).set(bytes);
  Atomics.store(i32, at + E_SINCE, sinceJ);
  Atomics.store(i32, at + E_LEN, bytes.length);
  // The publication: pairs with the Atomics.load of the slot word in findHungStack().
  Atomics.store(i32, at + E_SLOT, slot + 1);
  return true;
}
