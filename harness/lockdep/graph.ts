/*
 * The shared half of lockdep: lock classes, dependency entries (locks_after / locks_before) and
 * usage masks in one SharedArrayBuffer region, the graph lock that serialises every writer, and the
 * strong-path BFS. The chain hash (chain_cache.ts) and the string/stack store (stack_store.ts) live
 * in the same region and hang off the Graph as `chains` and `stacks`.
 *
 * Guarantees:
 *  - Writers (new class, new entry, new chain, new usage bit, new string) run under the graph lock.
 *  - Readers on the hot path (class hash, chain hash, usage masks) need no lock: each record is
 *    fully written before the word that publishes it is stored with Atomics.store, and readers load
 *    that word with Atomics.load (or see a stale "absent", which sends them to the locked slow path).
 *  - BFS runs under the graph lock with thread-local scratch arrays.
 *  - A topological order of the classes (class_order.ts: Pearce-Kelly, CL_ORD) is kept while the
 *    graph has no cycle of any edge kinds: a new dependency prev -> next whose next sits after prev in the order
 *    cannot close a cycle, so the kernel's search is skipped (exactly: no path, no strong path);
 *    otherwise mayReach() searches only the classes between the two in the order, and only when
 *    next reaches prev there does the kernel's strong-path BFS run. A cycle the strong-path rule
 *    allows (read and recursive-read edges) ends the order: from then on every new dependency
 *    gets the kernel's BFS, as without the order.
 *  - (from, to) -> entry is one probe of the entry hash, not a walk of locks_after; the slot keeps
 *    the key and a copy of the entry's kinds, so neither the probe nor a repeated dependency reads
 *    the entry record (layout.ts, EH_*).
 * Deliberately not done: class/entry removal (no lockdep_unregister_key, no zapping).
 */

import { LOCK_TYPES, type LockType } from '../kapi.js';
import { SharedChains } from './chain_cache.js';
import { ClassOrder } from './class_order.js';
import { CapacityError, StackStore } from './stack_store.js';
import { FNV1A_OFFSET_BASIS, fnv1a } from '../lib/fnv1a.js';
import {
  CL_BACK,
  CL_FWD,
  CL_NAME,
  CL_NBACK,
  CL_NFWD,
  CL_ORD,
  CL_ORDINAL,
  CL_SUBCLASS,
  CL_TYPE,
  CL_USAGE,
  CL_USAGE_TRACE,
  CL_WAIT,
  CLASS_WORDS,
  C_CLASSES,
  C_DEDUPE_USED,
  C_ENTRIES,
  C_MAX_BFS,
  DEP_EN,
  DEP_ER,
  DEP_SN,
  DEP_SR,
  E_DEP,
  E_DISTANCE,
  E_FROM,
  E_NEXT_BACK,
  E_NEXT_FWD,
  E_TO,
  E_TRACE,
  EDGE_HASH_WORDS,
  EDGE_WORDS,
  EH_DIST1,
  EH_ENTRY,
  EH_KEY,
  EH_SHIFT,
  H_DEBUG_LOCKS,
  H_EDGE_HASH_ACTIVE,
  H_GRAPH_LOCK,
  H_USED_IN,
  type Layout,
} from './layout.js';

/** BFS match callback: `flag` is only_xr (forwards) or only-shared (backwards) of the entry. */
export type BfsMatch = (cls: number, flag: boolean) => boolean;

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
  /* The topological order of the classes (Pearce-Kelly), with its thread-local scratch. */
  readonly #order: ClassOrder;
  /* The slot of findEdge()'s last hit (mergeEdge() reads its copy of the kinds). */
  #hitSlot = 0;
  readonly #names = new Map<number, string>();
  /** Class names and stack traces. */
  readonly stacks: StackStore;
  /** The shared chain hash. */
  readonly chains: SharedChains;
  /** CONFIG_PROVE_RAW_LOCK_NESTING: how wait types are numbered (wait_context.ts); set by the validator. */
  rawLockNesting = false;

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
    this.#order = new ClassOrder(i32, lay);
    this.stacks = new StackStore(i32, lay);
    this.chains = new SharedChains(i32, lay);
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

  /**
   * Bump a statistics counter that only graph-lock holders write: a plain add (the lock orders
   * the writers; an Atomics.add costs a call V8 does not inline, on every validation). Readers
   * outside the lock (lockdep_stats) may see a count a moment old, as /proc/lockdep_stats can.
   */
  bumpLocked(word: number, by = 1): void {
    const w = this.b + word;
    this.i32[w] = (this.i32[w] ?? 0) + by;
  }

  /* ---------------- classes ---------------- */

  #classHash(name: string, ordinal: number, subclass: number): number {
    return fnv1a(name, (FNV1A_OFFSET_BASIS ^ Math.imul(ordinal + 1, 0x9e3779b1) ^ Math.imul(subclass + 7, 0x85ebca6b)) >>> 0);
  }

  #classMatches(c: number, name: string, ordinal: number, subclass: number): boolean {
    const r = this.lay.classes + c * CLASS_WORDS;
    return this.i32[r + CL_ORDINAL] === ordinal && this.i32[r + CL_SUBCLASS] === subclass && this.stacks.getString(this.i32[r + CL_NAME] ?? 0) === name;
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
    i32[r + CL_NAME] = this.stacks.putString(name);
    i32[r + CL_ORDINAL] = ordinal;
    i32[r + CL_SUBCLASS] = subclass;
    i32[r + CL_WAIT] = waitType;
    i32[r + CL_TYPE] = LOCK_TYPES.indexOf(type);
    // A new class has no entries: last in the order is topological.
    i32[r + CL_ORD] = n;
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
    let s = this.stacks.getString(this.classWord(c, CL_NAME));
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

  /**
   * The usage mask by a plain load, for the acquire fast path: the mask only grows, so a stale
   * read can only miss a bit, which sends the caller to the slow path, where usage() decides.
   */
  usageHint(c: number): number {
    return this.i32[this.lay.classes + c * CLASS_WORDS + CL_USAGE] ?? 0;
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
    Atomics.or(this.i32, this.b + H_USED_IN, 1 << bit);
  }

  /** The OR of every class's usage mask (a class has a bit when this has it, and only then). */
  usageAny(): number {
    return Atomics.load(this.i32, this.b + H_USED_IN);
  }

  /* ---------------- dependency entries ---------------- */

  edgeWord(e: number, field: number): number {
    return this.i32[this.lay.edges + e * EDGE_WORDS + field] ?? 0;
  }

  #edgeSlot(key: number, mask: number): number {
    const h = Math.imul(key, 0x9e3779b1);
    return (h ^ (h >>> 16)) & mask;
  }

  /**
   * The entry from -> to (>= 0), or `-1 - slot` of the empty slot where the probe ended (addEdge()
   * of the same pair, under the same hold of the graph lock, fills it). Under the graph lock.
   */
  findEdge(from: number, to: number): number {
    const i32 = this.i32;
    const mask = (i32[this.b + H_EDGE_HASH_ACTIVE] ?? 0) - 1;
    const key = (from << 16) | to;
    const base = this.lay.edgeHash;
    let s = this.#edgeSlot(key, mask);
    for (;;) {
      const r = base + s * EDGE_HASH_WORDS;
      const w = i32[r + EH_ENTRY] ?? 0;
      if (w === 0) return -1 - s;
      if (i32[r + EH_KEY] === key) {
        this.#hitSlot = r;
        return (w >>> EH_SHIFT) - 1;
      }
      s = (s + 1) & mask;
    }
  }

  /**
   * Merge dependency kinds into an existing entry (check_prev_add on a present entry), right
   * after findEdge() found it: the slot's copy of the kinds says whether anything is new, so a
   * dependency seen again does not touch the entry record.
   */
  mergeEdge(e: number, dep: number, distance: number): void {
    const i32 = this.i32;
    const sr = this.#hitSlot + EH_ENTRY;
    const w = i32[sr] ?? 0;
    // Not the slot of e (findEdge() was not the last call): the record alone decides.
    const mine = w >>> EH_SHIFT === e + 1;
    const known = mine ? w : 0;
    const add = dep & ~known & (DEP_SR | DEP_ER | DEP_SN | DEP_EN);
    const dist1 = distance === 1 && (known & EH_DIST1) === 0;
    if (add === 0 && !dist1) return;
    const r = this.lay.edges + e * EDGE_WORDS;
    // Pairs with the lock-free E_DEP reads of graph_view.ts: the kinds only ever grow.
    if (add !== 0) Atomics.or(i32, r + E_DEP, dep);
    if (dist1) i32[r + E_DISTANCE] = 1;
    if (mine) i32[sr] = w | add | (dist1 ? EH_DIST1 : 0);
  }

  /**
   * add_lock_to_list() on both lists. Under the graph lock; `miss` is findEdge()'s result for the
   * pair under this hold of the lock (its empty slot), or undefined.
   */
  addEdge(from: number, to: number, dep: number, trace: number, distance: number, miss?: number): number {
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
    const active = i32[this.b + H_EDGE_HASH_ACTIVE] ?? 0;
    if ((n + 1) * 2 > active && active < this.lay.edgeHashSlots) this.#growEdgeHash(active * 2, n + 1);
    else if (miss !== undefined && miss < 0) this.#fillSlot(-1 - miss, n, from, to, dep, distance);
    else this.#hashEdge(n, from, to, dep, distance, active - 1);
    this.#order.add(from, to);
    return n;
  }

  #fillSlot(s: number, e: number, from: number, to: number, dep: number, distance: number): void {
    const r = this.lay.edgeHash + s * EDGE_HASH_WORDS;
    this.i32[r + EH_KEY] = (from << 16) | to;
    this.i32[r + EH_ENTRY] = ((e + 1) << EH_SHIFT) | (distance === 1 ? EH_DIST1 : 0) | dep;
  }

  #hashEdge(e: number, from: number, to: number, dep: number, distance: number, mask: number): void {
    const i32 = this.i32;
    const base = this.lay.edgeHash;
    let s = this.#edgeSlot((from << 16) | to, mask);
    while ((i32[base + s * EDGE_HASH_WORDS + EH_ENTRY] ?? 0) !== 0) s = (s + 1) & mask;
    this.#fillSlot(s, e, from, to, dep, distance);
  }

  /** Double the entry hash in use and re-insert the first `count` entries. Under the graph lock. */
  #growEdgeHash(slots: number, count: number): void {
    const i32 = this.i32;
    i32.fill(0, this.lay.edgeHash, this.lay.edgeHash + slots * EDGE_HASH_WORDS);
    for (let e = 0; e < count; e++) this.#hashEdge(e, this.edgeWord(e, E_FROM), this.edgeWord(e, E_TO), this.edgeWord(e, E_DEP), this.edgeWord(e, E_DISTANCE), slots - 1);
    i32[this.b + H_EDGE_HASH_ACTIVE] = slots;
  }

  /* ---------------- topological order (class_order.ts) ---------------- */

  /** Whether the class order is still topological (no cycle of any edge kinds yet). */
  orderValid(): boolean {
    return this.#order.valid();
  }

  /** ClassOrder.mayReach(): false when `from` cannot reach `to` (exact); true means "maybe". Under the graph lock. */
  mayReach(from: number, to: number): boolean {
    return this.#order.mayReach(from, to);
  }

  /* ---------------- report dedupe (continueAfterReport) ---------------- */

  /** True the first time this problem hash is seen (lock-free: a CAS claims the slot). */
  firstReport(h: number): boolean {
    const v = h | 1;
    const slots = this.lay.dedupeSlots;
    for (let i = 0; i < slots; i++) {
      const slot = this.lay.dedupe + ((h + i) & (slots - 1));
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
          if (flag) dep &= ~(DEP_SR | DEP_SN);
          nflag = (dep & (DEP_SN | DEP_EN)) === 0;
        } else {
          if (flag) dep &= ~(DEP_SR | DEP_ER);
          nflag = (dep & (DEP_ER | DEP_EN)) === 0;
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

