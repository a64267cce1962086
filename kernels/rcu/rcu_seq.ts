/*
 * rcu_seq: the grace-period sequence-number helpers of kernel/rcu/rcu.h.
 *
 * A sequence value keeps its state in the low RCU_SEQ_CTR_SHIFT bits (0 = idle, non-zero = a grace
 * period in progress) and a counter of grace periods above them. Values are Int32 and wrap; every
 * comparison goes through the wrap-safe ULONG_CMP_* equivalents, so a long run cannot break them.
 *
 * Pure functions only: callers load and store the shared words themselves.
 */

export const RCU_SEQ_CTR_SHIFT = 2;
export const RCU_SEQ_STATE_MASK = (1 << RCU_SEQ_CTR_SHIFT) - 1;

/** ULONG_CMP_GE(a, b) on wrapping 32-bit counters. */
export function ULONG_CMP_GE(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** ULONG_CMP_LT(a, b) on wrapping 32-bit counters. */
export function ULONG_CMP_LT(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** rcu_seq_ctr(): the grace-period counter part. */
export function rcu_seq_ctr(s: number): number {
  return s >> RCU_SEQ_CTR_SHIFT;
}

/** rcu_seq_state(): the state bits (0 when no grace period is in progress). */
export function rcu_seq_state(s: number): number {
  return s & RCU_SEQ_STATE_MASK;
}

/** rcu_seq_start(): the value after a grace period starts (state 0 -> 1). */
export function rcu_seq_start(s: number): number {
  return (s + 1) | 0;
}

/** rcu_seq_end(): the value after the grace period ends (the next counter, state 0). */
export function rcu_seq_end(s: number): number {
  return ((s | RCU_SEQ_STATE_MASK) + 1) | 0;
}

/** rcu_seq_endval(): what rcu_seq_end() will store for the grace period in progress. */
export function rcu_seq_endval(s: number): number {
  return rcu_seq_end(s);
}

/**
 * rcu_seq_snap(): the value the sequence must reach before a full grace period has elapsed from
 * now: the end of the next grace period to start, or of the one after the current one.
 */
export function rcu_seq_snap(s: number): number {
  return ((s + 2 * RCU_SEQ_STATE_MASK + 1) & ~RCU_SEQ_STATE_MASK) | 0;
}

/** rcu_seq_done(): has the sequence `cur` reached the snapshot `snap`? */
export function rcu_seq_done(cur: number, snap: number): boolean {
  return ULONG_CMP_GE(cur, snap);
}

/** rcu_seq_completed_gp(): has a grace period started after `old` now completed at `cur`? */
export function rcu_seq_completed_gp(old: number, cur: number): boolean {
  return ULONG_CMP_LT(old, cur & ~RCU_SEQ_STATE_MASK);
}

/** rcu_seq_new_gp(): has a grace period started since `old`? */
export function rcu_seq_new_gp(old: number, cur: number): boolean {
  return ULONG_CMP_LT((old + RCU_SEQ_STATE_MASK) & ~RCU_SEQ_STATE_MASK, cur);
}

/**
 * rcu_seq_diff(): the number of grace periods between `old` and `cur`, plus one when either lies
 * inside a grace period (so 1 means "definitely none elapsed"). rcutorture's Reader Batch uses it.
 */
export function rcu_seq_diff(cur: number, old: number): number {
  if (cur === old) return 0;
  const partial = (cur & RCU_SEQ_STATE_MASK) !== 0 || (old & RCU_SEQ_STATE_MASK) !== 0 ? 1 : 0;
  const rnd = ((cur & ~RCU_SEQ_STATE_MASK) - ((old + RCU_SEQ_STATE_MASK) & ~RCU_SEQ_STATE_MASK) + partial) | 0;
  if (ULONG_CMP_GE(RCU_SEQ_STATE_MASK, rnd)) return 1;
  return ((rnd - RCU_SEQ_STATE_MASK - 1) >>> RCU_SEQ_CTR_SHIFT) + 2;
}
