/* rcu_seq helpers: start/end/snap/done, wrap safety, and the kernel's rcu_seq_diff() rounding. */
import { describe, expect, it } from 'vitest';
import {
  rcu_seq_completed_gp,
  rcu_seq_ctr,
  rcu_seq_diff,
  rcu_seq_done,
  rcu_seq_end,
  rcu_seq_new_gp,
  rcu_seq_snap,
  rcu_seq_start,
  rcu_seq_state,
} from './rcu_seq.js';

describe('rcu_seq helpers', () => {
  it('start sets the state bits, end moves to the next counter with state 0', () => {
    const idle = 8; // counter 2, idle
    const started = rcu_seq_start(idle);
    expect(rcu_seq_state(started)).toBe(1);
    expect(rcu_seq_ctr(started)).toBe(2);
    const ended = rcu_seq_end(started);
    expect(ended).toBe(12);
    expect(rcu_seq_state(ended)).toBe(0);
  });

  it('snap from idle waits for the next GP; snap during a GP waits for the one after it', () => {
    expect(rcu_seq_snap(8)).toBe(12); // the next GP (8 -> 9 -> 12) is a full one
    expect(rcu_seq_snap(9)).toBe(16); // GP 2 in progress: need GP 3 too
    expect(rcu_seq_done(12, rcu_seq_snap(8))).toBe(true);
    expect(rcu_seq_done(12, rcu_seq_snap(9))).toBe(false);
    expect(rcu_seq_done(16, rcu_seq_snap(9))).toBe(true);
  });

  it('comparisons survive 32-bit wrap', () => {
    const nearWrap = 0x7ffffffc;
    const after = rcu_seq_end(rcu_seq_start(nearWrap));
    expect(after).toBe(-0x80000000);
    expect(rcu_seq_done(after, rcu_seq_snap(nearWrap))).toBe(true);
    expect(rcu_seq_done(nearWrap, rcu_seq_snap(nearWrap))).toBe(false);
    const neg = -1200; // the kernel's initial gp_seq
    expect(rcu_seq_done(rcu_seq_end(rcu_seq_start(neg)), rcu_seq_snap(neg))).toBe(true);
  });

  it('new_gp and completed_gp', () => {
    expect(rcu_seq_new_gp(8, 9)).toBe(true);
    expect(rcu_seq_new_gp(8, 8)).toBe(false);
    expect(rcu_seq_completed_gp(8, 12)).toBe(true);
    expect(rcu_seq_completed_gp(9, 12)).toBe(true);
    expect(rcu_seq_completed_gp(12, 13)).toBe(false);
  });

  it('diff: 1 when no GP can have elapsed, else GPs elapsed + 1 (the kernel\'s rounding)', () => {
    expect(rcu_seq_diff(8, 8)).toBe(0);
    expect(rcu_seq_diff(9, 8)).toBe(1);
    expect(rcu_seq_diff(12, 8)).toBe(2);
    expect(rcu_seq_diff(16, 8)).toBe(3);
    expect(rcu_seq_diff(13, 9)).toBe(1);
    expect(rcu_seq_diff(17, 9)).toBe(2);
  });
});
