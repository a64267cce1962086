/*
 * A topological order of the lock classes (Pearce-Kelly, the CL_ORD word of each class), kept
 * while the graph has no cycle of any edge kinds, so that most new dependencies need no search:
 * for prev -> next, when next sits after prev no path next ->* prev exists; otherwise only the
 * classes between the two in the order are searched. A cycle (one the strong-path rule allows:
 * read and recursive-read edges) ends the order for good (H_ORDER_OK 0), and every dependency gets
 * the kernel's BFS. Written under the graph lock; the scratch arrays are thread-local. graph.ts
 * owns one and calls add() for every new entry.
 */

import { C_ENTRIES, C_ORDER_SEARCHES, C_ORDER_SKIPS, CL_BACK, CL_FWD, CL_ORD, CLASS_WORDS, E_FROM, E_NEXT_BACK, E_NEXT_FWD, E_TO, EDGE_WORDS, H_ORDER_OK, type Layout } from './layout.js';

/** Sort key of the order repair: order * ORD_KEY + class (both below 2^24; exact in a double). */
const ORD_KEY = 16777216;

export class ClassOrder {
  readonly #i32: Int32Array;
  readonly #lay: Layout;
  readonly #b: number;
  readonly #mark: Int32Array;
  #markGen = 0;
  readonly #stk: Int32Array;
  readonly #fwd: Int32Array;
  #nFwd = 0;
  /* The forward region in #fwd was collected for (root, bound, entries); -1 = none. */
  #fwdRoot = -1;
  #fwdBound = -1;
  #fwdEntries = -1;
  readonly #bwd: Int32Array;
  readonly #keyB: Float64Array;
  readonly #keyF: Float64Array;
  readonly #slots: Float64Array;

  constructor(i32: Int32Array, lay: Layout) {
    this.#i32 = i32;
    this.#lay = lay;
    this.#b = lay.base;
    this.#mark = new Int32Array(lay.maxKeys);
    this.#stk = new Int32Array(lay.maxKeys + 1);
    this.#fwd = new Int32Array(lay.maxKeys);
    this.#bwd = new Int32Array(lay.maxKeys);
    this.#keyB = new Float64Array(lay.maxKeys);
    this.#keyF = new Float64Array(lay.maxKeys);
    this.#slots = new Float64Array(lay.maxKeys * 2);
  }

  #ord(c: number): number {
    return this.#i32[this.#lay.classes + c * CLASS_WORDS + CL_ORD] ?? 0;
  }

  /** Whether the class order is still topological (no cycle of any edge kinds yet). */
  valid(): boolean {
    return this.#i32[this.#b + H_ORDER_OK] === 1;
  }

  /**
   * Can `from` reach `to` through entries of any kind? false is exact; true means "maybe" (the
   * order is gone, or the search found a path) and the caller runs the kernel's BFS. Under the
   * graph lock. Counts C_ORDER_SKIPS / C_ORDER_SEARCHES.
   */
  mayReach(from: number, to: number): boolean {
    if (from !== to && this.valid()) {
      const ub = this.#ord(to);
      if (this.#ord(from) > ub || !this.#collectForward(from, ub)) {
        this.#bumpLocked(C_ORDER_SKIPS);
        return false;
      }
    }
    this.#bumpLocked(C_ORDER_SEARCHES);
    return true;
  }

  #nextMark(): number {
    this.#markGen++;
    if (this.#markGen > 0x3ffffff0) {
      this.#mark.fill(0);
      this.#markGen = 1;
    }
    return this.#markGen;
  }

  /**
   * The classes reachable from `root` whose order is below `bound`, into #fwd. True when the class
   * at `bound` itself is reached (a path root ->* that class exists).
   */
  #collectForward(root: number, bound: number): boolean {
    const entries = Atomics.load(this.#i32, this.#b + C_ENTRIES);
    if (this.#fwdRoot === root && this.#fwdBound === bound && this.#fwdEntries === entries) return false;
    this.#fwdRoot = -1;
    const gen = this.#nextMark();
    const mark = this.#mark;
    const stk = this.#stk;
    let sp = 0;
    let nf = 0;
    stk[sp++] = root;
    mark[root] = gen;
    while (sp > 0) {
      const c = stk[--sp] ?? 0;
      this.#fwd[nf++] = c;
      let e = (this.#i32[this.#lay.classes + c * CLASS_WORDS + CL_FWD] ?? 0) - 1;
      while (e >= 0) {
        const t = this.#edge(e, E_TO);
        if (mark[t] !== gen) {
          const o = this.#ord(t);
          if (o === bound) return true;
          if (o < bound) {
            mark[t] = gen;
            stk[sp++] = t;
          }
        }
        e = this.#edge(e, E_NEXT_FWD) - 1;
      }
    }
    this.#nFwd = nf;
    this.#fwdRoot = root;
    this.#fwdBound = bound;
    this.#fwdEntries = entries;
    return false;
  }

  /** A new entry from -> to (already added): repair the order (Pearce-Kelly), or end it when the entry closes a cycle. */
  add(from: number, to: number): void {
    if (from === to || !this.valid()) return;
    const lb = this.#ord(to);
    const ub = this.#ord(from);
    if (lb > ub) return;
    // The forward region is usually still in #fwd from mayReach(); entries changed by one since.
    const entries = Atomics.load(this.#i32, this.#b + C_ENTRIES) - 1;
    const cached = this.#fwdRoot === to && this.#fwdBound === ub && this.#fwdEntries === entries;
    if (!cached) {
      this.#fwdEntries = -2;
      if (this.#collectForward(to, ub)) {
        this.#i32[this.#b + H_ORDER_OK] = 0;
        return;
      }
    }
    this.#fwdRoot = -1;
    // Backward region: the classes reaching `from` whose order is above lb.
    const gen = this.#nextMark();
    const mark = this.#mark;
    const stk = this.#stk;
    let sp = 0;
    let nb = 0;
    stk[sp++] = from;
    mark[from] = gen;
    while (sp > 0) {
      const c = stk[--sp] ?? 0;
      this.#bwd[nb++] = c;
      let e = (this.#i32[this.#lay.classes + c * CLASS_WORDS + CL_BACK] ?? 0) - 1;
      while (e >= 0) {
        const f = this.#edge(e, E_FROM);
        if (mark[f] !== gen && this.#ord(f) > lb) {
          mark[f] = gen;
          stk[sp++] = f;
        }
        e = this.#edge(e, E_NEXT_BACK) - 1;
      }
    }
    // The backward region goes before the forward region, each keeping its own relative order,
    // in the order slots the two occupied.
    const nf = this.#nFwd;
    // Scratch views (no allocation of the arrays themselves: this runs for most new entries).
    const keyB = this.#keyB.subarray(0, nb);
    const keyF = this.#keyF.subarray(0, nf);
    for (let i = 0; i < nb; i++) {
      const c = this.#bwd[i] ?? 0;
      keyB[i] = this.#ord(c) * ORD_KEY + c;
    }
    for (let i = 0; i < nf; i++) {
      const c = this.#fwd[i] ?? 0;
      keyF[i] = this.#ord(c) * ORD_KEY + c;
    }
    keyB.sort();
    keyF.sort();
    const slots = this.#slots.subarray(0, nb + nf);
    for (let i = 0; i < nb; i++) slots[i] = Math.floor((keyB[i] ?? 0) / ORD_KEY);
    for (let i = 0; i < nf; i++) slots[nb + i] = Math.floor((keyF[i] ?? 0) / ORD_KEY);
    slots.sort();
    const base = this.#lay.classes + CL_ORD;
    for (let i = 0; i < nb; i++) this.#i32[base + ((keyB[i] ?? 0) % ORD_KEY) * CLASS_WORDS] = slots[i] ?? 0;
    for (let i = 0; i < nf; i++) this.#i32[base + ((keyF[i] ?? 0) % ORD_KEY) * CLASS_WORDS] = slots[nb + i] ?? 0;
  }

  #edge(e: number, field: number): number {
    return this.#i32[this.#lay.edges + e * EDGE_WORDS + field] ?? 0;
  }

  /* Graph.bumpLocked(): a plain add, the graph lock orders the writers. */
  #bumpLocked(word: number): void {
    const w = this.#b + word;
    this.#i32[w] = (this.#i32[w] ?? 0) + 1;
  }
}
