import { describe, expect, it } from 'vitest';
import type { ShmRegion } from '../kapi.js';
import { findHungStack, HUNG_STACK_ENTRIES, HUNG_STACKS_WORDS, hungStacksFull, publishHungStack } from './hung_stacks.js';

function region(): ShmRegion {
  // Not at word 0, as a region of the guest's heap is not.
  const base = 64;
  return { i32: new Int32Array(new SharedArrayBuffer((base + HUNG_STACKS_WORDS) * 4)), base, words: HUNG_STACKS_WORDS };
}

describe('the hung tasks\' stack table', () => {
  it('gives back what an executor published, for that task and that sleep only', () => {
    const r = region();
    const frames = [' __mutex_lock_slowpath (kernels/locking/mutex.ts:122)', ' mutex_lock (kernels/locking/mutex.ts:154)', ' slub_cpu_dead (kernels/mm/slub.ts:535) é'];
    expect(findHungStack(r, 5, 1000)).toBeNull();
    expect(publishHungStack(r, 5, 1000, frames)).toBe(true);
    expect(findHungStack(r, 5, 1000)).toEqual(frames);
    // Another sleep of the same task, another task: not this entry.
    expect(findHungStack(r, 5, 2000)).toBeNull();
    expect(findHungStack(r, 6, 1000)).toBeNull();
    // Published once per sleep; no stack is an empty list, not "not published".
    expect(publishHungStack(r, 5, 1000, ['other'])).toBe(true);
    expect(findHungStack(r, 5, 1000)).toEqual(frames);
    expect(publishHungStack(r, 0, 7, [])).toBe(true);
    expect(findHungStack(r, 0, 7)).toEqual([]);
  });

  it('keeps whole lines of a stack too long for an entry, and says when the table is full', () => {
    const r = region();
    const long = Array.from({ length: 200 }, (_, i) => ` frame_${i} (kernels/x.ts:${i})`);
    publishHungStack(r, 1, 1, long);
    const got = findHungStack(r, 1, 1) ?? [];
    expect(got.length).toBeGreaterThan(10);
    expect(got.length).toBeLessThan(200);
    expect(got).toEqual(long.slice(0, got.length));
    for (let k = 2; k <= HUNG_STACK_ENTRIES; k++) {
      expect(hungStacksFull(r)).toBe(false);
      expect(publishHungStack(r, k, 1, ['f'])).toBe(true);
    }
    expect(hungStacksFull(r)).toBe(true);
    expect(publishHungStack(r, 999, 1, ['f'])).toBe(false);
    // No claims past the table (the count stays at its size), and no slot is no entry.
    expect(r.i32[r.base]).toBe(HUNG_STACK_ENTRIES);
    expect(publishHungStack(region(), -1, 1, ['f'])).toBe(false);
    expect(findHungStack(r, 999, 1)).toBeNull();
    expect(findHungStack(r, HUNG_STACK_ENTRIES, 1)).toEqual(['f']);
  });
});
