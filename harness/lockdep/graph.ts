/*
 * The shared half of lockdep: lock classes, dependency entries (locks_after / locks_before), the
 * chain-key hash, usage masks, and the string arena holding class names and stack text, all in one
 * SharedArrayBuffer region, plus the graph lock that serialises every writer.
 *
 * Guarantees:
 *  - Writers (new class, new entry, new chain, new usage bit, new string) run under the graph lock.
 *  - Readers on the hot path (class hash, chain hash, usage masks) need no lock: each record is
 *    fully written before the word that publishes it is stored with Atomics.store, and readers load
 *    that word with Atomics.load (or see a stale "absent", which sends them to the locked slow path).
 *  - BFS runs under the graph lock with thread-local scratch arrays.
 * Deliberately not done: class/entry removal (no lockdep_unregister_key, no zapping).
 */

import { LOCK_TYPES, type LockType } from '../kapi.js';
import {
  CH_HI,
  CH_LO,
  CH_SITE,
  CH_STATE,
  CHAIN_WORDS,
  CL_BACK,
  CL_FWD,
  CL_NAME,
  CL_NBACK,
  CL_NFWD,
  CL_ORDINAL,
  CL_SUBCLASS,
  CL_TYPE,
  CL_USAGE,
  CL_USAGE_TRACE,
  CL_WAIT,
  CLASS_WORDS,
  C_ARENA_USED,
  C_CHAIN_HLOCKS,
  C_CHAINS,
  C_CHAINS_HARDIRQ,
  C_CHAINS_PROCESS,
  C_CHAINS_SOFTIRQ,
  C_CLASSES,
  C_DEDUPE_USED,
  C_ENTRIES,
  C_MAX_BFS,
  C_STACK_ENTRIES,
  C_STACK_HASH_CHAINS,
  C_STACK_TRACES,
  DEDUPE_SLOTS,
  E_DEP,
  E_DISTANCE,
  E_FROM,
  E_NEXT_BACK,
  E_NEXT_FWD,
  E_TO,
  E_TRACE,
  EDGE_WORDS,
  H_DEBUG_LOCKS,
  H_GRAPH_LOCK,
  STACK_HASH_SLOTS,
  type Layout,
} from './layout.js';

/** FNV-1a over a string, as an unsigned 32-bit number. */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** BFS match callback: `flag` is only_xr (forwards) or only-shared (backwards) of the entry. */
export type BfsMatch = (cls: number, flag: boolean) => boolean;

/** Why a capacity ran out (the kernel's message after `BUG: `). */
export type CapacityName = 'MAX_LOCKDEP_KEYS' | 'MAX_LOCKDEP_ENTRIES' | 'MAX_LOCKDEP_CHAINS' | 'MAX_STACK_TRACE_ENTRIES';

export class CapacityError extends Error {
  readonly limit: CapacityName;
  constructor(limit: CapacityName) {
    super(`BUG: ${limit} too low!`);
    this.limit = limit;
  }
}

export class Graph {
  readonly i32: Int32Array;
  readonly lay: Layout;
  readonly b: number;
  /* Thread-local BFS scratch. */
  readonly #seen: Int32Array;
  #gen = 0;
  readonly #qCls: Int32Array;
  readonly #qEdge: Int32Array;
  readonly #qParent: Int32Array;
  readonly #qFlag: Uint8Array;
  readonly #names = new Map<number, string>();
  readonly #strings = new Map<number, string>();

  constructor(i32: Int32Array, lay: Layout) {
    this.i32 = i32;
    this.lay = lay;
    this.b = lay.base;
    this.#seen = new Int32Array(lay.maxKeys * 2);
    const q = lay.maxKeys * 2 + 2;
    this.#qCls = new Int32Array(q);
    this.#qEdge = new Int32Array(q);
    this.#qParent = new Int32Array(q);
    this.#qFlag = new Uint8Array(q);
  }

  /* ---------------- graph lock and debug_locks ---------------- */

  /** graph_lock(): spin briefly, then sleep on the word (critical sections are short). */
  lock(): void {
    const i32 = this.i32;
    const w = this.b + H_GRAPH_LOCK;
    for (let spin = 0; spin < 200; spin++) {
      if (Atomics.compareExchange(i32, w, 0, 1) === 0) return;
    }
    // Futex-style 0/1/2 lock: 2 means "someone may sleep"; pairs with the exchange in unlock().
    let c = Atomics.exchange(i32, w, 2);
    while (c !== 0) {
      Atomics.wait(i32, w, 2, 50);
      c = Atomics.exchange(i32, w, 2);
    }
  }

  unlock(): void {
    // Pairs with the exchange/wait loop in lock(): notify only when a sleeper may exist.
    if (Atomics.exchange(this.i32, this.b + H_GRAPH_LOCK, 0) === 2) Atomics.notify(this.i32, this.b + H_GRAPH_LOCK, 1);
  }

  debugLocks(): boolean {
    return Atomics.load(this.i32, this.b + H_DEBUG_LOCKS) !== 0;
  }

  /** debug_locks_off(): true for the caller that switched it off. */
  debugLocksOff(): boolean {
    return Atomics.exchange(this.i32, this.b + H_DEBUG_LOCKS, 0) !== 0;
  }

  count(word: number): number {
    return Atomics.load(this.i32, this.b + word);
  }

  bump(word: number, by = 1): number {
    return Atomics.add(this.i32, this.b + word, by) + by;
  }

  /* ---------------- strings (arena) ---------------- */

  /** Store a string; returns its id (> 0). Under the graph lock. */
  putString(s: string): number {
    const words = 1 + ((s.length + 1) >> 1);
    const used = this.count(C_ARENA_USED);
    if (used + words > this.lay.arenaWords) throw new CapacityError('MAX_STACK_TRACE_ENTRIES');
    const at = this.lay.arena + used;
    const i32 = this.i32;
    i32[at] = s.length;
    for (let i = 0; i < s.length; i += 2) {
      const lo = s.charCodeAt(i);
      const hi = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      i32[at + 1 + (i >> 1)] = lo | (hi << 16);
    }
    // Publishes the text: a reader gets the id only through a later Atomics.store of the id.
    Atomics.store(i32, this.b + C_ARENA_USED, used + words);
    return used + 1;
  }

  getString(id: number): string {
    if (id <= 0) return '';
    const cached = this.#strings.get(id);
    if (cached !== undefined) return cached;
    const at = this.lay.arena + id - 1;
    const i32 = this.i32;
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
    const h = hashString(text);
    const slots = STACK_HASH_SLOTS;
    for (let i = 0; i < slots; i++) {
      const slot = this.lay.stackHash + ((h + i) & (slots - 1));
      const id = Atomics.load(this.i32, slot);
      if (id === 0) {
        if (this.count(C_STACK_ENTRIES) + frames.length > this.lay.maxStackEntries) throw new CapacityError('MAX_STACK_TRACE_ENTRIES');
        const nid = this.putString(text);
        this.bump(C_STACK_ENTRIES, frames.length);
        this.bump(C_STACK_TRACES);
        if (i === 0) this.bump(C_STACK_HASH_CHAINS);
        Atomics.store(this.i32, slot, nid);
        return nid;
      }
      if (this.getString(id) === text) return id;
    }
    // Hash full: store without deduplication.
    if (this.count(C_STACK_ENTRIES) + frames.length > this.lay.maxStackEntries) throw new CapacityError('MAX_STACK_TRACE_ENTRIES');
    this.bump(C_STACK_ENTRIES, frames.length);
    this.bump(C_STACK_TRACES);
    return this.putString(text);
  }

  getStack(id: number): string[] {
    if (id <= 0) return [];
    const s = this.getString(id);
    return s === '' ? [] : s.split('\n');
  }

  /* ---------------- classes ---------------- */

  #classHash(name: string, ordinal: number, subclass: number): number {
    return hashString(name, (0x811c9dc5 ^ Math.imul(ordinal + 1, 0x9e3779b1) ^ Math.imul(subclass + 7, 0x85ebca6b)) >>> 0);
  }

  #classMatches(c: number, name: string, ordinal: number, subclass: number): boolean {
    const r = this.lay.classes + c * CLASS_WORDS;
    return this.i32[r + CL_ORDINAL] === ordinal && this.i32[r + CL_SUBCLASS] === subclass && this.getString(this.i32[r + CL_NAME] ?? 0) === name;
  }

  /** look_up_lock_class(): lock-free; -1 when not registered yet. */
  findClass(name: string, ordinal: number, subclass: number): number {
    const h = this.#classHash(name, ordinal, subclass);
    const mask = this.lay.classHashSlots - 1;
    for (let i = 0; i <= mask; i++) {
      // Pairs with the Atomics.store in registerClass(): the record is complete once the slot is set.
      const v = Atomics.load(this.i32, this.lay.classHash + ((h + i) & mask));
      if (v === 0) return -1;
      if (this.#classMatches(v - 1, name, ordinal, subclass)) return v - 1;
    }
    return -1;
  }

  /** register_lock_class(): under the graph lock; throws CapacityError when the table is full. */
  registerClass(name: string, ordinal: number, subclass: number, waitType: number, type: LockType): number {
    const found = this.findClass(name, ordinal, subclass);
    if (found >= 0) return found;
    const n = this.count(C_CLASSES);
    if (n >= this.lay.maxKeys) throw new CapacityError('MAX_LOCKDEP_KEYS');
    const r = this.lay.classes + n * CLASS_WORDS;
    const i32 = this.i32;
    i32[r + CL_NAME] = this.putString(name);
    i32[r + CL_ORDINAL] = ordinal;
    i32[r + CL_SUBCLASS] = subclass;
    i32[r + CL_WAIT] = waitType;
    i32[r + CL_TYPE] = LOCK_TYPES.indexOf(type);
    Atomics.store(i32, this.b + C_CLASSES, n + 1);
    const h = this.#classHash(name, ordinal, subclass);
    const mask = this.lay.classHashSlots - 1;
    for (let i = 0; i <= mask; i++) {
      const slot = this.lay.classHash + ((h + i) & mask);
      if (Atomics.load(i32, slot) === 0) {
        Atomics.store(i32, slot, n + 1);
        break;
      }
    }
    return n;
  }

  classWord(c: number, field: number): number {
    return this.i32[this.lay.classes + c * CLASS_WORDS + field] ?? 0;
  }

  /** Printed name: `name`, `name#N` for a later declaration of the same name, `name/N` for subclass N. */
  className(c: number): string {
    const cached = this.#names.get(c);
    if (cached !== undefined) return cached;
    let s = this.getString(this.classWord(c, CL_NAME));
    const ord = this.classWord(c, CL_ORDINAL);
    if (ord > 0) s += `#${ord + 1}`;
    const sub = this.classWord(c, CL_SUBCLASS);
    if (sub > 0) s += `/${sub}`;
    this.#names.set(c, s);
    return s;
  }

  classType(c: number): LockType {
    return LOCK_TYPES[this.classWord(c, CL_TYPE)] ?? 'user';
  }

  waitType(c: number): number {
    return this.classWord(c, CL_WAIT);
  }

  /** Usage mask; lock-free read of a word that only grows. */
  usage(c: number): number {
    return Atomics.load(this.i32, this.lay.classes + c * CLASS_WORDS + CL_USAGE);
  }

  usageTrace(c: number, bit: number): number {
    return this.classWord(c, CL_USAGE_TRACE + bit);
  }

  /** Set a usage bit with its trace. Under the graph lock. */
  setUsage(c: number, bit: number, trace: number): void {
    const r = this.lay.classes + c * CLASS_WORDS;
    this.i32[r + CL_USAGE_TRACE + bit] = trace;
    // Pairs with the Atomics.load in usage(): the trace is stored before the bit is visible.
    Atomics.or(this.i32, r + CL_USAGE, 1 << bit);
  }

  /* ---------------- dependency entries ---------------- */

  edgeWord(e: number, field: number): number {
    return this.i32[this.lay.edges + e * EDGE_WORDS + field] ?? 0;
  }

  findEdge(from: number, to: number): number {
    let e = this.classWord(from, CL_FWD) - 1;
    while (e >= 0) {
      if (this.edgeWord(e, E_TO) === to) return e;
      e = this.edgeWord(e, E_NEXT_FWD) - 1;
    }
    return -1;
  }

  /** Merge dependency kinds into an existing entry (check_prev_add on a present entry). */
  mergeEdge(e: number, dep: number, distance: number): void {
    const r = this.lay.edges + e * EDGE_WORDS;
    Atomics.or(this.i32, r + E_DEP, dep);
    if (distance === 1) this.i32[r + E_DISTANCE] = 1;
  }

  /** add_lock_to_list() on both lists. Under the graph lock. */
  addEdge(from: number, to: number, dep: number, trace: number, distance: number): number {
    const n = this.count(C_ENTRIES);
    if (n >= this.lay.maxEntries) throw new CapacityError('MAX_LOCKDEP_ENTRIES');
    const r = this.lay.edges + n * EDGE_WORDS;
    const i32 = this.i32;
    const cf = this.lay.classes + from * CLASS_WORDS;
    const ct = this.lay.classes + to * CLASS_WORDS;
    i32[r + E_FROM] = from;
    i32[r + E_TO] = to;
    i32[r + E_DEP] = dep;
    i32[r + E_TRACE] = trace;
    i32[r + E_DISTANCE] = distance;
    i32[r + E_NEXT_FWD] = i32[cf + CL_FWD] ?? 0;
    i32[r + E_NEXT_BACK] = i32[ct + CL_BACK] ?? 0;
    Atomics.store(i32, this.b + C_ENTRIES, n + 1);
    Atomics.store(i32, cf + CL_FWD, n + 1);
    Atomics.store(i32, ct + CL_BACK, n + 1);
    i32[cf + CL_NFWD] = (i32[cf + CL_NFWD] ?? 0) + 1;
    i32[ct + CL_NBACK] = (i32[ct + CL_NBACK] ?? 0) + 1;
    return n;
  }

  /* ---------------- chains ---------------- */

  /** Lock-free lookup; returns the slot index or -1. */
  chainFind(hi: number, lo: number): number {
    const mask = this.lay.chainSlots - 1;
    const i32 = this.i32;
    let s = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (let i = 0; i <= mask; i++) {
      const r = this.lay.chains + s * CHAIN_WORDS;
      // Pairs with the Atomics.store of CH_STATE in chainInsert().
      const st = Atomics.load(i32, r + CH_STATE);
      if (st === 0) return -1;
      if (i32[r + CH_HI] === hi && i32[r + CH_LO] === lo) return s;
      s = (s + 1) & mask;
    }
    return -1;
  }

  chainSite(slot: number): number {
    return this.i32[this.lay.chains + slot * CHAIN_WORDS + CH_SITE] ?? 0;
  }

  /** add_chain_cache(): under the graph lock. ctx 0 process, 1 softirq, 2/3 hardirq. */
  chainInsert(hi: number, lo: number, site: number, ctx: number, depth: number): number {
    if (this.count(C_CHAINS) >= this.lay.maxChains) throw new CapacityError('MAX_LOCKDEP_CHAINS');
    const mask = this.lay.chainSlots - 1;
    const i32 = this.i32;
    let s = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (;;) {
      const r = this.lay.chains + s * CHAIN_WORDS;
      if (Atomics.load(i32, r + CH_STATE) === 0) {
        i32[r + CH_HI] = hi;
        i32[r + CH_LO] = lo;
        i32[r + CH_SITE] = site;
        Atomics.store(i32, r + CH_STATE, 2);
        this.bump(C_CHAINS);
        this.bump(C_CHAIN_HLOCKS, depth);
        this.bump(ctx >= 2 ? C_CHAINS_HARDIRQ : ctx === 1 ? C_CHAINS_SOFTIRQ : C_CHAINS_PROCESS);
        return s;
      }
      s = (s + 1) & mask;
    }
  }

  /* ---------------- report dedupe (continueAfterReport) ---------------- */

  /** True the first time this problem hash is seen (lock-free: a CAS claims the slot). */
  firstReport(h: number): boolean {
    const v = h | 1;
    for (let i = 0; i < DEDUPE_SLOTS; i++) {
      const slot = this.lay.dedupe + ((h + i) & (DEDUPE_SLOTS - 1));
      const cur = Atomics.compareExchange(this.i32, slot, 0, v);
      if (cur === 0) {
        this.bump(C_DEDUPE_USED);
        return true;
      }
      if (cur === v) return false;
    }
    return false;
  }

  /* ---------------- BFS (__bfs with the strong-path rule) ---------------- */

  /**
   * Breadth-first search from `root` over locks_after (forwards) or locks_before (backwards).
   * Forwards, `flag` is only_xr: every kind of the entry's edge is -(*R)->, so the next edge must not
   * be -(S*)->. Backwards, `flag` means every kind of the edge is -(S*)->, so the previous edge must
   * not be -(*R)->. Returns a queue index (see pathTo()) or -1. Under the graph lock.
   */
  bfs(root: number, rootFlag: boolean, forwards: boolean, match: BfsMatch): number {
    this.#gen += 2;
    if (this.#gen > 0x3ffffff0) {
      this.#seen.fill(0);
      this.#gen = 2;
    }
    const gen = this.#gen;
    const seen = this.#seen;
    let head = 0;
    let tail = 0;
    this.#qCls[tail] = root;
    this.#qEdge[tail] = -1;
    this.#qParent[tail] = -1;
    this.#qFlag[tail] = rootFlag ? 1 : 0;
    tail++;
    // seen[c] = gen: visited with flag=false (covers every later visit); gen+1: only with flag=true.
    seen[root] = rootFlag ? gen + 1 : gen;
    const q = this.#qCls.length;
    let maxq = 0;
    while (head < tail) {
      const qi = head++;
      const c = this.#qCls[qi] ?? 0;
      const flag = this.#qFlag[qi] === 1;
      if (match(c, flag)) {
        if (tail > this.count(C_MAX_BFS)) Atomics.store(this.i32, this.b + C_MAX_BFS, tail);
        return qi;
      }
      let e = this.classWord(c, forwards ? CL_FWD : CL_BACK) - 1;
      while (e >= 0) {
        const next = this.edgeWord(e, forwards ? E_TO : E_FROM);
        let dep = this.edgeWord(e, E_DEP);
        let nflag: boolean;
        if (forwards) {
          if (flag) dep &= ~(DEP_SR_ | DEP_SN_);
          nflag = (dep & (DEP_SN_ | DEP_EN_)) === 0;
        } else {
          if (flag) dep &= ~(DEP_SR_ | DEP_ER_);
          nflag = (dep & (DEP_ER_ | DEP_EN_)) === 0;
        }
        if (dep !== 0) {
          const s = seen[next] ?? 0;
          const already = s === gen || (s === gen + 1 && nflag);
          if (!already && tail < q) {
            seen[next] = nflag ? gen + 1 : gen;
            this.#qCls[tail] = next;
            this.#qEdge[tail] = e;
            this.#qParent[tail] = qi;
            this.#qFlag[tail] = nflag ? 1 : 0;
            tail++;
          }
        }
        e = this.edgeWord(e, forwards ? E_NEXT_FWD : E_NEXT_BACK) - 1;
      }
      if (tail > maxq) maxq = tail;
    }
    if (maxq > this.count(C_MAX_BFS)) Atomics.store(this.i32, this.b + C_MAX_BFS, maxq);
    return -1;
  }

  /** The entries from the BFS root to queue index `qi`: [{cls, edge}] root first (edge -1 for root). */
  pathTo(qi: number): { cls: number; edge: number }[] {
    const out: { cls: number; edge: number }[] = [];
    let i = qi;
    while (i >= 0) {
      out.push({ cls: this.#qCls[i] ?? 0, edge: this.#qEdge[i] ?? -1 });
      i = this.#qParent[i] ?? -1;
    }
    return out.reverse();
  }

  queueClass(qi: number): number {
    return this.#qCls[qi] ?? 0;
  }
}

const DEP_SR_ = 1;
const DEP_ER_ = 2;
const DEP_SN_ = 4;
const DEP_EN_ = 8;
