/*
 * The wait-for graph of a user program, in the lockdep buffer (createLockdepBuffer() appends this
 * region after the validator's): one slot per attached thread saying which locks it holds and
 * which lock (or event) it is blocked on, since when. lockdep proper finds orders that COULD
 * deadlock; this table finds threads that ARE deadlocked (a cycle thread -> lock -> holder thread
 * -> ... back to the first), and threads blocked past a timeout with no cycle (a lost wake-up, an
 * owner that exited holding the lock): the kernel's hung task.
 *
 * Who looks (a thread blocked in Atomics.wait runs nothing): a waiter of torture/locks sleeps in
 * slices and scans the table each time a slice ends (wait_check.ts); a program that blocks by
 * its own means (the `waiting()` annotation) needs a thread that is not blocked to scan:
 * watchDeadlocks() (wait_watchdog.ts) in the buffer's creator, or in a watchdog worker.
 *
 * Consistency: each slot is written only by its own thread; scanners read it racily. A cycle is
 * reported only when two scans at least a slice apart see the same cycle with the same wait
 * generations (the same waits, not new ones), so a wait that was about to be woken is never
 * reported. Text (names, sites, held-lock lines) is written before the generation that announces
 * it is stored (Atomics.store, paired with the scanner's Atomics.load of TEXT_GEN).
 */

/** Header words of the user lockdep buffer this region uses (the validator starts at word 16). */
export const UH_WF_BASE = 1; // word offset of the wait-for region (0: none, an old buffer)
export const UH_WF_SLOTS = 2; // thread slots
export const UH_NEXT_LOCK_ID = 3; // ids handed to torture/locks instances (lockId())
export const UH_EPOCH_F64 = 2; // Float64 index (bytes 16..23): Date.now() when the buffer was made

export const WF_MAX_THREADS = 64;
export const WF_MAX_HELD = 48; // MAX_LOCK_DEPTH
const TEXT_BYTES = 6144;

/* Slot words. */
const S_IN_USE = 0; // 0 free, 1 attached
const S_PID = 1;
const S_WAIT_GEN = 2; // bumped at every wait start
const S_WAITING = 3; // WAIT_NONE / WAIT_LOCK / WAIT_EVENT / WAIT_LOCK_ASYNC
const S_WAIT_HASH = 4;
const S_WAIT_INST = 5;
const S_WAIT_SINCE = 6; // ms since the epoch
const S_TEXT_GEN = 7; // the wait generation the text describes
const S_REPORTED_GEN = 8; // the wait generation already reported (hung or cycle)
const S_NHELD = 9;
const S_NAME = 10; // 4 words: comm, 15 bytes + NUL
const S_HELD = 14; // WF_MAX_HELD pairs (hash, instance)
const S_TEXT_LEN = S_HELD + 2 * WF_MAX_HELD;
const S_TEXT = S_TEXT_LEN + 1;
export const WF_SLOT_WORDS = S_TEXT + TEXT_BYTES / 4;
export const WF_REGION_WORDS = WF_MAX_THREADS * WF_SLOT_WORDS;

export const WAIT_NONE = 0;
/** Blocked on a lock: its holders are the threads with it in their held list. */
export const WAIT_LOCK = 1;
/** Blocked on an event (a condition, a semaphore): nobody holds it, only a wake-up ends it. */
export const WAIT_EVENT = 2;
/** Waiting for a lock with Atomics.waitAsync: holders as WAIT_LOCK, but the thread runs on (never on a cycle). */
export const WAIT_LOCK_ASYNC = 3;
export type WaitKind = typeof WAIT_LOCK | typeof WAIT_EVENT | typeof WAIT_LOCK_ASYNC;

/** What a blocked thread publishes about its wait once it has slept a slice (or at once, when annotated). */
export interface WaitText {
  /** The lock or event, printed: `ffffffff80000002 (lock_b)`. */
  readonly lock: string;
  /** The site of the blocked acquisition. */
  readonly at: string;
  /** The call chain of the blocked thread, innermost first. */
  readonly frames: readonly string[];
  /** The thread's held locks, in lockdep's `N locks held by comm/pid:` lines. */
  readonly held: readonly string[];
}

/** One thread as a scanner sees it. */
export interface WaitView {
  readonly slot: number;
  readonly pid: number;
  readonly comm: string;
  readonly waiting: number;
  readonly gen: number;
  readonly hash: number;
  readonly inst: number;
  readonly since: number;
  readonly held: readonly (readonly [number, number])[];
  readonly text: WaitText | null;
  readonly reportedGen: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Lay the region out in a fresh buffer (createLockdepBuffer, before any thread sees it). */
export function initWaitFor(buf: SharedArrayBuffer, base: number): void {
  const i32 = new Int32Array(buf);
  i32[UH_WF_BASE] = base;
  i32[UH_WF_SLOTS] = WF_MAX_THREADS;
  i32[UH_NEXT_LOCK_ID] = 0;
  new Float64Array(buf, 0, 4)[UH_EPOCH_F64] = Date.now();
}

/** The region of a user lockdep buffer, or null for a buffer without one. */
export class WaitForTable {
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
  readonly base: number;
  readonly slots: number;
  readonly epoch: number;

  constructor(buf: SharedArrayBuffer) {
    this.i32 = new Int32Array(buf);
    this.u8 = new Uint8Array(buf);
    this.base = Atomics.load(this.i32, UH_WF_BASE);
    this.slots = Atomics.load(this.i32, UH_WF_SLOTS);
    this.epoch = new Float64Array(buf, 0, 4)[UH_EPOCH_F64] ?? 0;
  }

  /** Milliseconds since the buffer was made (the clock of WAIT_SINCE). */
  now(): number {
    return Date.now() - this.epoch;
  }

  word(slot: number, w: number): number {
    return this.base + slot * WF_SLOT_WORDS + w;
  }

  /** Claim a free slot for this thread (CAS 0 -> 1); -1 when all are taken (the thread is then not watched). */
  attach(pid: number, comm: string): number {
    for (let s = 0; s < this.slots; s++) {
      if (Atomics.compareExchange(this.i32, this.word(s, S_IN_USE), 0, 1) !== 0) continue;
      Atomics.store(this.i32, this.word(s, S_PID), pid);
      Atomics.store(this.i32, this.word(s, S_NHELD), 0);
      Atomics.store(this.i32, this.word(s, S_WAITING), WAIT_NONE);
      const name = enc.encode(comm).subarray(0, 15);
      const at = this.word(s, S_NAME) * 4;
      this.u8.fill(0, at, at + 16);
      this.u8.set(name, at);
      return s;
    }
    return -1;
  }

  detach(slot: number): void {
    Atomics.store(this.i32, this.word(slot, S_WAITING), WAIT_NONE);
    Atomics.store(this.i32, this.word(slot, S_NHELD), 0);
    Atomics.store(this.i32, this.word(slot, S_IN_USE), 0);
  }

  /** A lock of (hash, inst) is now held (pushed on the thread's held list; past WF_MAX_HELD it is not tracked). */
  pushHeld(slot: number, hash: number, inst: number): void {
    const n = this.i32[this.word(slot, S_NHELD)] ?? 0;
    if (n >= WF_MAX_HELD) return;
    const w = this.word(slot, S_HELD + 2 * n);
    this.i32[w] = hash;
    this.i32[w + 1] = inst;
    // Publishes the plain stores above; partner: the scanner's Atomics.load of S_NHELD before it reads the pairs.
    Atomics.store(this.i32, this.word(slot, S_NHELD), n + 1);
  }

  /** The most recent held (hash, inst) is released (searched from the top, the rest moved down). */
  popHeld(slot: number, hash: number, inst: number): void {
    const n = this.i32[this.word(slot, S_NHELD)] ?? 0;
    const h0 = this.word(slot, S_HELD);
    for (let i = n - 1; i >= 0; i--) {
      if (this.i32[h0 + 2 * i] !== hash || this.i32[h0 + 2 * i + 1] !== inst) continue;
      for (let j = i; j < n - 1; j++) {
        Atomics.store(this.i32, h0 + 2 * j, this.i32[h0 + 2 * j + 2] ?? 0);
        Atomics.store(this.i32, h0 + 2 * j + 1, this.i32[h0 + 2 * j + 3] ?? 0);
      }
      Atomics.store(this.i32, this.word(slot, S_NHELD), n - 1);
      return;
    }
  }

  /** The thread starts blocking on (hash, inst); returns the wait's generation. */
  beginWait(slot: number, kind: WaitKind, hash: number, inst: number): number {
    const gen = (Atomics.add(this.i32, this.word(slot, S_WAIT_GEN), 1) + 1) | 0;
    Atomics.store(this.i32, this.word(slot, S_WAIT_HASH), hash);
    Atomics.store(this.i32, this.word(slot, S_WAIT_INST), inst);
    Atomics.store(this.i32, this.word(slot, S_WAIT_SINCE), this.now() | 0);
    // Partner: the scanner's Atomics.load of S_WAITING, which it reads first.
    Atomics.store(this.i32, this.word(slot, S_WAITING), kind);
    return gen;
  }

  endWait(slot: number): void {
    Atomics.store(this.i32, this.word(slot, S_WAITING), WAIT_NONE);
  }

  /** Publish the text of wait `gen` (truncated to the slot's text area). */
  publishText(slot: number, gen: number, text: WaitText): void {
    let bytes = enc.encode(JSON.stringify(text));
    if (bytes.length > TEXT_BYTES) bytes = enc.encode(JSON.stringify({ ...text, frames: text.frames.slice(0, 8), held: text.held.slice(0, 8) })).subarray(0, TEXT_BYTES);
    this.u8.set(bytes, this.word(slot, S_TEXT) * 4);
    Atomics.store(this.i32, this.word(slot, S_TEXT_LEN), bytes.length);
    // Partner: read()'s Atomics.load of S_TEXT_GEN before it decodes the bytes.
    Atomics.store(this.i32, this.word(slot, S_TEXT_GEN), gen);
  }

  textGen(slot: number): number {
    return Atomics.load(this.i32, this.word(slot, S_TEXT_GEN));
  }

  /** Mark wait `gen` of `slot` reported; false when another scanner did it first. */
  claim(slot: number, gen: number): boolean {
    const w = this.word(slot, S_REPORTED_GEN);
    const old = Atomics.load(this.i32, w);
    return old !== gen && Atomics.compareExchange(this.i32, w, old, gen) === old;
  }

  /** Every attached thread, as one racy snapshot. */
  read(): WaitView[] {
    const out: WaitView[] = [];
    for (let s = 0; s < this.slots; s++) {
      if (Atomics.load(this.i32, this.word(s, S_IN_USE)) !== 1) continue;
      const waiting = Atomics.load(this.i32, this.word(s, S_WAITING));
      const gen = Atomics.load(this.i32, this.word(s, S_WAIT_GEN));
      const n = Math.min(WF_MAX_HELD, Atomics.load(this.i32, this.word(s, S_NHELD)));
      const held: [number, number][] = [];
      for (let i = 0; i < n; i++) held.push([Atomics.load(this.i32, this.word(s, S_HELD + 2 * i)), Atomics.load(this.i32, this.word(s, S_HELD + 2 * i + 1))]);
      let text: WaitText | null = null;
      if (waiting !== WAIT_NONE && Atomics.load(this.i32, this.word(s, S_TEXT_GEN)) === gen) {
        const at = this.word(s, S_TEXT) * 4;
        const len = Atomics.load(this.i32, this.word(s, S_TEXT_LEN));
        const bytes = this.u8.slice(at, at + len);
        // A seqlock read: the owner may have begun a new wait and rewritten the text meanwhile;
        // the copy counts only if both generations are still the ones read before it.
        if (Atomics.load(this.i32, this.word(s, S_TEXT_GEN)) === gen && Atomics.load(this.i32, this.word(s, S_WAIT_GEN)) === gen) {
          try {
            text = JSON.parse(dec.decode(bytes)) as WaitText;
          } catch {
            text = null; // rewritten while read: the next scan has it
          }
        }
      }
      const nameAt = this.word(s, S_NAME) * 4;
      const name = this.u8.slice(nameAt, nameAt + 16);
      const nul = name.indexOf(0);
      out.push({
        slot: s,
        pid: Atomics.load(this.i32, this.word(s, S_PID)),
        comm: dec.decode(nul < 0 ? name : name.subarray(0, nul)),
        waiting,
        gen,
        hash: Atomics.load(this.i32, this.word(s, S_WAIT_HASH)),
        inst: Atomics.load(this.i32, this.word(s, S_WAIT_INST)),
        since: Atomics.load(this.i32, this.word(s, S_WAIT_SINCE)),
        held,
        text,
        reportedGen: Atomics.load(this.i32, this.word(s, S_REPORTED_GEN)),
      });
    }
    return out;
  }
}

/** The threads holding what `t` waits for: those with it in their held list that do not wait for it themselves. */
export function holdersOf(all: readonly WaitView[], t: WaitView): WaitView[] {
  if (t.waiting !== WAIT_LOCK && t.waiting !== WAIT_LOCK_ASYNC) return [];
  const waitsForIt = (o: WaitView): boolean => (o.waiting === WAIT_LOCK || o.waiting === WAIT_LOCK_ASYNC) && o.hash === t.hash && o.inst === t.inst;
  return all.filter((o) => o.slot !== t.slot && !waitsForIt(o) && o.held.some(([h, i]) => h === t.hash && i === t.inst));
}

/**
 * A wait-for cycle through `start` (a blocked thread): the threads around it, `start` first, each
 * waiting for a lock the next one holds; null when `start` is not on one. Depth-first over the
 * blocked holders; each thread is visited once. Only threads blocked in a synchronous wait for a
 * lock are on a cycle: an event has no holder, and a thread in an async wait runs on.
 */
export function findCycle(all: readonly WaitView[], start: WaitView): WaitView[] | null {
  const seen = new Set<number>();
  const path: WaitView[] = [];
  const dfs = (t: WaitView): boolean => {
    path.push(t);
    seen.add(t.slot);
    for (const h of holdersOf(all, t)) {
      if (h.slot === start.slot) return true;
      if (h.waiting !== WAIT_LOCK || seen.has(h.slot)) continue;
      if (dfs(h)) return true;
    }
    path.pop();
    return false;
  };
  return start.waiting === WAIT_LOCK && dfs(start) ? path : null;
}

/** The identity of one cycle's waits (threads and generations, rotation-free) to confirm it on a second scan. */
export function cycleKey(cycle: readonly WaitView[]): string {
  return cycle
    .map((t) => `${t.slot}:${t.gen}`)
    .sort()
    .join(',');
}
