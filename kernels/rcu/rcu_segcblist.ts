/*
 * rcu_segcblist: one CPU's RCU callback list in shared memory, split into the kernel's four
 * segments (kernel/rcu/rcu_segcblist.c):
 *
 *   [head, tails[DONE])            ready to invoke
 *   [tails[DONE], tails[WAIT])     waiting for the grace period ending at gp_seq[WAIT]
 *   [tails[WAIT], tails[NEXT_READY]) waiting for the one ending at gp_seq[NEXT_READY]
 *   [tails[NEXT_READY], tails[NEXT]) not yet assigned a grace period
 *
 * A callback is data, not a closure: (function id, argument), so that the callbacks of a dead CPU
 * can be moved to another CPU through shared memory (rcutree_migrate_callbacks()). Indices are
 * monotonic counters; an entry lives at index % capacity in a ring.
 *
 * Only the owning CPU touches a list, except that the control CPU drains a dead CPU's list (the
 * CPU is parked: the park/unpark handshake orders those accesses).
 *
 * `len` is the kernel's ->len, not the number of entries in the segments: enqueue() raises it, the
 * extract helpers leave it alone, and the caller drops it with addLen(-n) only after it has invoked
 * the n callbacks it extracted (rcu_do_batch(), srcu_invoke_callbacks()). So a list whose
 * callbacks are being invoked is not empty to rcu_barrier()/srcu_barrier(), which read other CPUs'
 * lengths: a zero length means every callback queued before it was invoked.
 *
 * Not modelled: callback offloading (NOCB), lazy callbacks, per-segment callback counts.
 */

import { ULONG_CMP_LT } from './rcu_seq.js';

export const RCU_DONE_TAIL = 0;
export const RCU_WAIT_TAIL = 1;
export const RCU_NEXT_READY_TAIL = 2;
export const RCU_NEXT_TAIL = 3;
export const RCU_CBLIST_NSEGS = 4;

const W_HEAD = 0;
const W_TAILS = 1; // 4 words
const W_GP_SEQ = 5; // 4 words
const W_LEN = 9;
const W_ENTRIES = 16;
const ENTRY_WORDS = 2;

/** Words a list of `capacity` callbacks needs. */
export function rcu_segcblist_words(capacity: number): number {
  return W_ENTRIES + capacity * ENTRY_WORDS;
}

export interface RcuCbEntry {
  readonly fn: number;
  readonly arg: number;
}

export class RcuSegCbList {
  readonly #i32: Int32Array;
  readonly #base: number;
  readonly capacity: number;

  constructor(i32: Int32Array, base: number, capacity: number) {
    this.#i32 = i32;
    this.#base = base;
    this.capacity = capacity;
  }

  #w(off: number): number {
    return this.#i32[this.#base + off] ?? 0;
  }

  #set(off: number, v: number): void {
    this.#i32[this.#base + off] = v;
  }

  head(): number {
    return this.#w(W_HEAD);
  }

  tail(seg: number): number {
    return this.#w(W_TAILS + seg);
  }

  gpSeq(seg: number): number {
    return this.#w(W_GP_SEQ + seg);
  }

  /**
   * rcu_segcblist_n_cbs(): callbacks queued and not yet invoked, including those extracted and
   * being invoked now (readable from any CPU).
   */
  length(): number {
    // Pairs with the Atomics.add in addLen(): a zero read is ordered after the invocations.
    return Atomics.load(this.#i32, this.#base + W_LEN);
  }

  /**
   * rcu_segcblist_add_len(): fully ordered (the kernel's smp_mb() on both sides), so that a barrier
   * reading zero after addLen(-n) is ordered after the n callbacks' invocation.
   */
  addLen(v: number): void {
    Atomics.add(this.#i32, this.#base + W_LEN, v);
  }

  /** rcu_segcblist_set_len(): only for a list nobody else reads now (merge's source, init). */
  setLen(v: number): void {
    Atomics.store(this.#i32, this.#base + W_LEN, v);
  }

  /** Byte address of the oldest callback's entry (rcu_segcblist_first_cb(), for %p in reports). */
  firstEntryAddr(): number {
    return (this.#base + W_ENTRIES + (this.head() % this.capacity) * ENTRY_WORDS) * 4;
  }

  /** rcu_segcblist_segempty(). */
  segempty(seg: number): boolean {
    return seg === RCU_DONE_TAIL ? this.tail(RCU_DONE_TAIL) === this.head() : this.tail(seg) === this.tail(seg - 1);
  }

  /** rcu_segcblist_restempty(): nothing after segment `seg`. */
  restempty(seg: number): boolean {
    return this.tail(seg) === this.tail(RCU_NEXT_TAIL);
  }

  /** rcu_segcblist_ready_cbs(). */
  readyCbs(): boolean {
    return this.tail(RCU_DONE_TAIL) !== this.head();
  }

  /** rcu_segcblist_pend_cbs(): callbacks not yet ready. */
  pendCbs(): boolean {
    return !this.restempty(RCU_DONE_TAIL);
  }

  /** rcu_segcblist_enqueue(): add to the NEXT segment. False when the ring is full. */
  enqueue(fn: number, arg: number): boolean {
    const t = this.tail(RCU_NEXT_TAIL);
    if (t - this.head() >= this.capacity) return false;
    const slot = this.#base + W_ENTRIES + (t % this.capacity) * ENTRY_WORDS;
    this.#i32[slot] = fn;
    this.#i32[slot + 1] = arg;
    this.#set(W_TAILS + RCU_NEXT_TAIL, t + 1);
    this.addLen(1); // rcu_segcblist_inc_len()
    return true;
  }

  /**
   * rcu_segcblist_advance(): move every segment whose grace period has completed at `seq` (the
   * current gp_seq) into DONE, and close up the gaps.
   */
  advance(seq: number): void {
    if (this.restempty(RCU_DONE_TAIL)) return;
    let i = RCU_WAIT_TAIL;
    for (; i < RCU_NEXT_TAIL; i++) {
      if (ULONG_CMP_LT(seq, this.gpSeq(i))) break;
      this.#set(W_TAILS + RCU_DONE_TAIL, this.tail(i));
    }
    if (i === RCU_WAIT_TAIL) return;
    for (let j = RCU_WAIT_TAIL; j < i; j++) this.#set(W_TAILS + j, this.tail(RCU_DONE_TAIL));
    for (let j = RCU_WAIT_TAIL; i < RCU_NEXT_TAIL; i++, j++) {
      if (this.tail(j) === this.tail(RCU_NEXT_TAIL)) break;
      this.#set(W_TAILS + j, this.tail(i));
      this.#set(W_GP_SEQ + j, this.gpSeq(i));
    }
  }

  /**
   * rcu_segcblist_accelerate(): give the callbacks without a grace period (and any segment
   * waiting for a later one) the grace period ending at `seq` (an rcu_seq_snap()). Returns true
   * if callbacks now wait for `seq`, so the caller must make sure that grace period is requested.
   */
  accelerate(seq: number): boolean {
    if (this.restempty(RCU_DONE_TAIL)) return false;
    let i = RCU_NEXT_READY_TAIL;
    for (; i > RCU_DONE_TAIL; i--) {
      if (!this.segempty(i) && ULONG_CMP_LT(this.gpSeq(i), seq)) break;
    }
    if (this.restempty(i)) return false;
    if (++i >= RCU_NEXT_TAIL) return false;
    for (; i < RCU_NEXT_TAIL; i++) {
      this.#set(W_TAILS + i, this.tail(RCU_NEXT_TAIL));
      this.#set(W_GP_SEQ + i, seq);
    }
    return true;
  }

  /**
   * rcu_segcblist_extract_done_cbs(): remove and return the DONE callbacks, oldest first. The
   * length is unchanged: the caller drops it with addLen(-n) once it has invoked them.
   */
  extractDone(): RcuCbEntry[] {
    const out: RcuCbEntry[] = [];
    const h = this.head();
    const d = this.tail(RCU_DONE_TAIL);
    for (let k = h; k !== d; k++) {
      const slot = this.#base + W_ENTRIES + (k % this.capacity) * ENTRY_WORDS;
      out.push({ fn: this.#i32[slot] ?? 0, arg: this.#i32[slot + 1] ?? 0 });
    }
    this.#set(W_HEAD, d);
    return out;
  }

  /**
   * rcu_segcblist_extract_done_cbs() then rcu_segcblist_extract_pend_cbs(): remove and return
   * every callback, oldest first (the source side of rcu_segcblist_merge()). The length is
   * unchanged, as in the kernel: merge sets the source's to zero (setLen(0)).
   */
  extractAll(): RcuCbEntry[] {
    const out: RcuCbEntry[] = [];
    const h = this.head();
    const t = this.tail(RCU_NEXT_TAIL);
    for (let k = h; k !== t; k++) {
      const slot = this.#base + W_ENTRIES + (k % this.capacity) * ENTRY_WORDS;
      out.push({ fn: this.#i32[slot] ?? 0, arg: this.#i32[slot + 1] ?? 0 });
    }
    this.#set(W_HEAD, t);
    for (let s = 0; s < RCU_CBLIST_NSEGS; s++) this.#set(W_TAILS + s, t);
    return out;
  }
}
