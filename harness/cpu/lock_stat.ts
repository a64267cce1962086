/*
 * lock_stat (CONFIG_LOCK_STAT, kernel/locking/lockdep.c): per lock class, contentions, wait and
 * hold times, bounces and contention points, kept per executor in the guest's lock_stat region
 * (harness/shm/layout.ts, LOCKSTAT_*) and summed once the workers are gone (lockStats()). The file
 * format is harness/formats/lock_stat.ts.
 *
 * The hooks follow the kernel's:
 *  - lock_acquire(): a held lock with holdtime_stamp = now (__lock_acquire()); a trylock is
 *    complete at once (the kernel calls no lock_acquired() for it);
 *  - lock_contended(): waittime_stamp = now, the contention point (the caller of the primitive)
 *    and the contending point (the site the lock's owner took it at, the lock's `ip`), a
 *    contention bounce when the lock was last taken on another CPU (`lock->cpu`);
 *  - lock_acquired(): the wait time, holdtime_stamp = now, an acquisition bounce, `lock->cpu`
 *    and `lock->ip` := this CPU and site;
 *  - lock_release(): the hold time (lock_release_holdtime()).
 * The model calls lock_acquired() only after a contention (its primitives' fast paths call no
 * hook there, where the kernel's LOCK_CONTENDED() calls lock_acquired() for every acquisition), so
 * lock_acquire() of a lock that is not a trylock does lock_acquired()'s part at once (the
 * acquisition bounce, `lock->cpu` and `lock->ip`), keeping the values it replaced; a contention
 * that follows puts them back (the owner's, which the contention is judged against), takes the
 * bounce back, and its lock_acquired() does the part again when the wait ends.
 *
 * Call sites cost a stack capture (microseconds), so they are taken only where the kernel's
 * statistics need them and only on the slow path: at a contention (the contention point) and at
 * the acquisition that ends it (the lock's `ip` a later contender reports as its contending
 * point). A lock last taken without contention has no recorded `ip`, so the contending point of a
 * contention against it is not counted: contending points count the contentions against owners
 * that themselves waited (a departure; the kernel records every acquisition's ip for free).
 *
 * The clock (lockstat_clock()) is the executor thread's own: a stamp is only ever compared with
 * another of the same task, and a task never leaves its executor's thread.
 *
 * Why plain stores on the statistics: only executor k's thread writes block k (as the coverage
 * counters); the guest's main thread reads them after Worker.terminate() joined every worker.
 * The class, site and point tables are claimed by CAS (Atomics.compareExchange of the state or
 * point word, whose partner is the Atomics.load of the same word by every other reader).
 */

import type { LockClassKey, LockdepHooks, LockdepMap, LockRead } from '../kapi.js';
import { fnv1a } from '../lib/fnv1a.js';
import { LOCKSTAT_POINTS, ZERO_TIME, addLockTime, newLockStatClass, type LockStatClass, type LockStatPoint, type LockTime } from '../formats/lock_stat.js';
import {
  LOCKSTAT_CLASSES,
  LOCKSTAT_CLASS_WORDS,
  LOCKSTAT_LOCKS,
  LOCKSTAT_LOCK_WORDS,
  LOCKSTAT_SITES,
  LOCKSTAT_SITE_WORDS,
  LOCKSTAT_STAT_F64,
  LSC_CONTENDING_POINT,
  LSC_CONTENTION_POINT,
  LSC_HASH,
  LSC_NAME,
  LSC_NAME_BYTES,
  LSC_NAME_LEN,
  LSC_STATE,
  LSC_SUBCLASS,
  LSC_VERSION,
  LSF_BOUNCES,
  LSF_CONTENDING_POINT,
  LSF_CONTENTION_POINT,
  LSF_READ_HOLD,
  LSF_READ_WAIT,
  LSF_WRITE_HOLD,
  LSF_WRITE_WAIT,
  LSL_CPU,
  LSL_IP,
  LSL_TAG,
  LSS_HASH,
  LSS_LEN,
  LSS_STATE,
  LSS_TEXT,
  LSS_TEXT_BYTES,
  lockStatRegion,
  type LockStatRegion,
} from '../shm/layout.js';
import { captureKernelStack } from './stack.js';
import { siteOf } from '../lockdep/stack.js';

const FREE = 0;
const FILLING = 1;
const READY = 2;

/** One held lock's lock_stat part (struct held_lock: class, read, the two stamps). */
export interface LockStatHeld {
  addr: number;
  /** Class slot, -1 when the table was full (not counted). */
  cls: number;
  read: number;
  holdStamp: number;
  waitStamp: number;
  /** The contention's site index + 1 (the acquisition's `ip` once the wait ends), 0 when none. */
  site: number;
  /** The lock's `cpu` + 1 and `ip` that lock_acquire() replaced (a contention restores them). */
  prevCpu: number;
  prevIp: number;
  /** lock_acquire() counted an acquisition bounce (a contention takes it back). */
  bounced: boolean;
}

/** What lock_stat needs of a task: its held-lock statistics stack. */
export interface LockStatTask {
  lockStatHeld?: LockStatHeld[];
  lockStatDepth?: number;
}

/** The text of a UTF-8 byte run in Int32 words. */
function readText(i32: Int32Array, word: number, len: number): string {
  return new TextDecoder().decode(new Uint8Array(i32.buffer, i32.byteOffset + word * 4, len).slice());
}

function writeText(i32: Int32Array, word: number, bytes: Uint8Array): void {
  new Uint8Array(i32.buffer, i32.byteOffset + word * 4, bytes.length).set(bytes);
}

/** The executor's recorder: one per CPU worker. */
export class LockStat {
  readonly #i32: Int32Array;
  readonly #r: LockStatRegion;
  readonly #f64: Float64Array;
  readonly #clock: () => number;
  readonly #cpu: () => number;
  /** key -> class slot per subclass (thread-local cache in front of the shared table). */
  readonly #classes = new Map<LockClassKey, number[]>();
  readonly #sites = new Map<string, number>();
  readonly #enc = new TextEncoder();
  /* A one-entry cache in front of #classes: a loop takes the same lock again and again. */
  #lastKey: LockClassKey | null = null;
  #lastSub = -1;
  #lastSlot = -1;

  constructor(i32: Int32Array, base: number, nrCpus: number, executor: number, clock: () => number, cpu: () => number) {
    this.#i32 = i32;
    this.#r = lockStatRegion(base, nrCpus);
    this.#f64 = new Float64Array(i32.buffer, i32.byteOffset + (this.#r.stats + executor * this.#r.statWordsPerExec) * 4, LOCKSTAT_CLASSES * LOCKSTAT_STAT_F64);
    this.#clock = clock;
    this.#cpu = cpu;
  }

  /* ---------------- shared tables ---------------- */

  /** The class slot of (key, subclass), registered on first use (register_lock_class()); -1 when full. */
  classSlot(key: LockClassKey, subclass: number): number {
    if (key === this.#lastKey && subclass === this.#lastSub) return this.#lastSlot;
    const slot = this.#classSlot(key, subclass);
    this.#lastKey = key;
    this.#lastSub = subclass;
    this.#lastSlot = slot;
    return slot;
  }

  #classSlot(key: LockClassKey, subclass: number): number {
    let per = this.#classes.get(key);
    if (per === undefined) {
      per = [];
      this.#classes.set(key, per);
    }
    const cached = per[subclass];
    if (cached !== undefined) return cached;
    const slot = this.#findOrClaim(key.name, key.ordinal + 1, subclass);
    per[subclass] = slot;
    return slot;
  }

  #findOrClaim(name: string, version: number, subclass: number): number {
    const i32 = this.#i32;
    const bytes = this.#enc.encode(name).slice(0, LSC_NAME_BYTES);
    const hash = fnv1a(`${name}\u0000${version}\u0000${subclass}`) | 0;
    for (let k = 0; k < LOCKSTAT_CLASSES; k++) {
      const slot = ((hash >>> 0) + k) % LOCKSTAT_CLASSES;
      const e = this.#r.classes + slot * LOCKSTAT_CLASS_WORDS;
      let st = Atomics.load(i32, e + LSC_STATE);
      if (st === FREE) {
        // Claim: the CAS pairs with the Atomics.load of the state by every other registrar.
        if (Atomics.compareExchange(i32, e + LSC_STATE, FREE, FILLING) === FREE) {
          Atomics.store(i32, e + LSC_HASH, hash);
          Atomics.store(i32, e + LSC_VERSION, version);
          Atomics.store(i32, e + LSC_SUBCLASS, subclass);
          Atomics.store(i32, e + LSC_NAME_LEN, bytes.length);
          writeText(i32, e + LSC_NAME, bytes);
          // Publishes the fields above: pairs with the Atomics.load of READY below.
          Atomics.store(i32, e + LSC_STATE, READY);
          Atomics.notify(i32, e + LSC_STATE);
          return slot;
        }
        st = Atomics.load(i32, e + LSC_STATE);
      }
      while (st === FILLING) {
        Atomics.wait(i32, e + LSC_STATE, FILLING, 1);
        st = Atomics.load(i32, e + LSC_STATE);
      }
      if (
        Atomics.load(i32, e + LSC_HASH) === hash &&
        Atomics.load(i32, e + LSC_VERSION) === version &&
        Atomics.load(i32, e + LSC_SUBCLASS) === subclass &&
        readText(i32, e + LSC_NAME, Atomics.load(i32, e + LSC_NAME_LEN)) === new TextDecoder().decode(bytes)
      ) {
        return slot;
      }
    }
    return -1;
  }

  /** The site's index + 1 in the shared site table (0 when full). */
  siteIndex(site: string): number {
    const cached = this.#sites.get(site);
    if (cached !== undefined) return cached;
    const i32 = this.#i32;
    const bytes = this.#enc.encode(site).slice(0, LSS_TEXT_BYTES);
    const text = new TextDecoder().decode(bytes);
    const hash = fnv1a(site) | 0;
    let found = 0;
    for (let k = 0; k < LOCKSTAT_SITES && found === 0; k++) {
      const slot = ((hash >>> 0) + k) % LOCKSTAT_SITES;
      const e = this.#r.sites + slot * LOCKSTAT_SITE_WORDS;
      let st = Atomics.load(i32, e + LSS_STATE);
      if (st === FREE && Atomics.compareExchange(i32, e + LSS_STATE, FREE, FILLING) === FREE) {
        Atomics.store(i32, e + LSS_HASH, hash);
        Atomics.store(i32, e + LSS_LEN, bytes.length);
        writeText(i32, e + LSS_TEXT, bytes);
        // Publishes the text: pairs with the Atomics.load of READY below.
        Atomics.store(i32, e + LSS_STATE, READY);
        Atomics.notify(i32, e + LSS_STATE);
        found = slot + 1;
        break;
      }
      st = Atomics.load(i32, e + LSS_STATE);
      while (st === FILLING) {
        Atomics.wait(i32, e + LSS_STATE, FILLING, 1);
        st = Atomics.load(i32, e + LSS_STATE);
      }
      if (Atomics.load(i32, e + LSS_HASH) === hash && readText(i32, e + LSS_TEXT, Atomics.load(i32, e + LSS_LEN)) === text) found = slot + 1;
    }
    if (found !== 0) this.#sites.set(site, found);
    return found;
  }

  /** lock_point(): the index of `site` in the class's point array, claiming a free one; LOCKSTAT_POINTS when full. */
  #lockPoint(cls: number, which: number, site: number): number {
    const i32 = this.#i32;
    const base = this.#r.classes + cls * LOCKSTAT_CLASS_WORDS + which;
    for (let i = 0; i < LOCKSTAT_POINTS; i++) {
      const v = Atomics.load(i32, base + i);
      if (v === site) return i;
      // The CAS pairs with the Atomics.load above on other CPUs: a point is claimed once.
      if (v === 0 && (Atomics.compareExchange(i32, base + i, 0, site) === 0 || Atomics.load(i32, base + i) === site)) return i;
    }
    return LOCKSTAT_POINTS;
  }

  /** The lock instance's entry (lockdep_map's cpu and ip), claimed for `addr`. */
  #lockEntry(addr: number): number {
    const idx = (Math.imul(addr >>> 2, 0x9e3779b1) >>> 0) % LOCKSTAT_LOCKS;
    const e = this.#r.locks + idx * LOCKSTAT_LOCK_WORDS;
    const i32 = this.#i32;
    if (i32[e + LSL_TAG] !== addr + 1) {
      // A new lock (or one evicted): lockdep_init_map()'s lock->cpu is the current CPU.
      i32[e + LSL_TAG] = addr + 1;
      i32[e + LSL_CPU] = this.#cpu() + 1;
      i32[e + LSL_IP] = 0;
    }
    return e;
  }

  /* ---------------- statistics ---------------- */

  /** lock_time_inc() on the executor's block. */
  #timeInc(o: number, t: number): void {
    const a = this.#f64;
    if (t > (a[o + 1] ?? 0)) a[o + 1] = t;
    if (t < (a[o] ?? 0) || a[o + 3] === 0) a[o] = t;
    a[o + 2] = (a[o + 2] ?? 0) + t;
    a[o + 3] = (a[o + 3] ?? 0) + 1;
  }

  #inc(o: number): void {
    this.#f64[o] = (this.#f64[o] ?? 0) + 1;
  }

  /** __lock_acquired()'s bounce and lock->cpu/ip for the acquisition `h`; `site` is its ip (0: none known). */
  #complete(h: LockStatHeld, site: number): void {
    const e = this.#lockEntry(h.addr);
    const cpu = this.#cpu() + 1;
    const i32 = this.#i32;
    h.prevCpu = i32[e + LSL_CPU] ?? 0;
    h.prevIp = i32[e + LSL_IP] ?? 0;
    h.bounced = h.prevCpu !== cpu;
    if (h.bounced) this.#inc(h.cls * LOCKSTAT_STAT_F64 + LSF_BOUNCES + (h.read !== 0 ? 1 : 0));
    i32[e + LSL_CPU] = cpu;
    i32[e + LSL_IP] = site;
  }

  #find(t: LockStatTask, addr: number): LockStatHeld | undefined {
    const held = t.lockStatHeld;
    if (held === undefined) return undefined;
    for (let i = (t.lockStatDepth ?? 0) - 1; i >= 0; i--) if (held[i]?.addr === addr) return held[i];
    return undefined;
  }

  acquire(t: LockStatTask, map: LockdepMap, subclass: number, trylock: boolean, read: LockRead): void {
    const cls = this.classSlot(map.key, subclass);
    const held = (t.lockStatHeld ??= []);
    const d = t.lockStatDepth ?? 0;
    let h = held[d];
    if (h === undefined) {
      h = { addr: 0, cls: -1, read: 0, holdStamp: 0, waitStamp: 0, site: 0, prevCpu: 0, prevIp: 0, bounced: false };
      held[d] = h;
    }
    h.addr = map.addr;
    h.cls = cls;
    h.read = read;
    h.holdStamp = this.#clock();
    h.waitStamp = 0;
    h.site = 0;
    h.bounced = false;
    t.lockStatDepth = d + 1;
    // lock_acquired()'s part now: the fast paths call no hook once they own the lock.
    if (!trylock && cls >= 0) this.#complete(h, 0);
  }

  contended(t: LockStatTask, map: LockdepMap): void {
    const h = this.#find(t, map.addr);
    if (h === undefined || h.cls < 0) return;
    const site = this.siteIndex(siteOf(captureKernelStack()));
    h.waitStamp = this.#clock();
    const base = h.cls * LOCKSTAT_STAT_F64;
    const cpu = this.#cpu() + 1;
    // Not ours yet: the owner's cpu and ip back (unless another acquirer replaced ours since).
    const e = this.#lockEntry(map.addr);
    const i32 = this.#i32;
    if (i32[e + LSL_CPU] === cpu && i32[e + LSL_IP] === 0) {
      i32[e + LSL_CPU] = h.prevCpu;
      i32[e + LSL_IP] = h.prevIp;
    }
    if (h.bounced) this.#f64[base + LSF_BOUNCES + (h.read !== 0 ? 1 : 0)] = (this.#f64[base + LSF_BOUNCES + (h.read !== 0 ? 1 : 0)] ?? 1) - 1;
    h.bounced = false;
    const cp = this.#lockPoint(h.cls, LSC_CONTENTION_POINT, site);
    if (cp < LOCKSTAT_POINTS) this.#inc(base + LSF_CONTENTION_POINT + cp);
    if (h.prevIp !== 0) {
      const dp = this.#lockPoint(h.cls, LSC_CONTENDING_POINT, h.prevIp);
      if (dp < LOCKSTAT_POINTS) this.#inc(base + LSF_CONTENDING_POINT + dp);
    }
    if (h.prevCpu !== cpu) this.#inc(base + LSF_BOUNCES + 2 + (h.read !== 0 ? 1 : 0));
    // The site of the acquisition that ends this wait: the contention's own.
    h.site = site;
  }

  acquired(t: LockStatTask, map: LockdepMap): void {
    const h = this.#find(t, map.addr);
    if (h === undefined) return;
    const site = h.site;
    if (h.waitStamp !== 0 && h.cls >= 0) {
      const now = this.#clock();
      const wait = now - h.waitStamp;
      if (wait > 0) this.#timeInc(h.cls * LOCKSTAT_STAT_F64 + (h.read !== 0 ? LSF_READ_WAIT : LSF_WRITE_WAIT), wait);
      h.holdStamp = now;
    }
    h.waitStamp = 0;
    if (h.cls >= 0) this.#complete(h, site);
  }

  release(t: LockStatTask, map: LockdepMap): void {
    const held = t.lockStatHeld;
    const d = t.lockStatDepth ?? 0;
    if (held === undefined || d === 0) return;
    let i = d - 1;
    while (i >= 0 && held[i]?.addr !== map.addr) i--;
    if (i < 0) return;
    const h = held[i] as LockStatHeld;
    if (h.cls >= 0) this.#timeInc(h.cls * LOCKSTAT_STAT_F64 + (h.read !== 0 ? LSF_READ_HOLD : LSF_WRITE_HOLD), this.#clock() - h.holdStamp);
    // Remove entry i, keeping the objects for reuse.
    for (let k = i; k < d - 1; k++) held[k] = held[k + 1] as LockStatHeld;
    held[d - 1] = h;
    t.lockStatDepth = d - 1;
  }
}

/**
 * The hooks with lock_stat's bookkeeping in front of `base` (installed only with CONFIG_LOCK_STAT=y).
 * A class, not an object literal, for the reason ValidatorHooks is one (lockdep_hooks.ts: a getter
 * in a literal keeps it in V8's slow mode). Every optional hook of `base` is forwarded too: an
 * omitted `sync` or `debugLocksOff` would silently turn off lock_sync()'s validation and
 * DEBUG_LOCKS_WARN_ON()'s switch-off under lock_stat (lock_stat.test.ts holds them).
 */
class LockStatHooks implements LockdepHooks {
  readonly #base: LockdepHooks;
  readonly #ls: LockStat;
  readonly #current: () => LockStatTask;
  readonly sync?: (map: LockdepMap) => void;
  readonly debugLocksOff?: () => boolean;

  constructor(base: LockdepHooks, ls: LockStat, current: () => LockStatTask) {
    this.#base = base;
    this.#ls = ls;
    this.#current = current;
    // lock_sync() is never held, so lock_stat has nothing to count: forwarded as is.
    if (base.sync !== undefined) this.sync = (map) => base.sync?.(map);
    if (base.debugLocksOff !== undefined) this.debugLocksOff = () => base.debugLocksOff?.() ?? false;
  }

  get enabled(): boolean {
    return this.#base.enabled;
  }
  acquire(map: LockdepMap, subclass: number, trylock: boolean, read: LockRead, nestLock: LockdepMap | null): void {
    this.#ls.acquire(this.#current(), map, subclass, trylock, read);
    this.#base.acquire(map, subclass, trylock, read, nestLock);
  }
  release(map: LockdepMap): void {
    this.#base.release(map);
    this.#ls.release(this.#current(), map);
  }
  contended(map: LockdepMap): void {
    this.#base.contended(map);
    this.#ls.contended(this.#current(), map);
  }
  acquired(map: LockdepMap): void {
    this.#ls.acquired(this.#current(), map);
    this.#base.acquired(map);
  }
  assertHeld(map: LockdepMap): void {
    this.#base.assertHeld(map);
  }
  isHeld(map: LockdepMap): boolean {
    return this.#base.isHeld(map);
  }
  checkNoLocksFreed(from: number, len: number): void {
    this.#base.checkNoLocksFreed(from, len);
  }
  rcuSuspicious(file: string, line: number, msg: string): void {
    this.#base.rcuSuspicious(file, line, msg);
  }
}

/** The hooks with lock_stat's bookkeeping in front of `base` (installed only with CONFIG_LOCK_STAT=y). */
export function withLockStat(base: LockdepHooks, ls: LockStat, current: () => LockStatTask): LockdepHooks {
  return new LockStatHooks(base, ls, current);
}

/* ---------------- reading (the guest's main thread, after the workers ended) ---------------- */

function readTime(a: Float64Array, o: number): LockTime {
  const nr = a[o + 3] ?? 0;
  return nr === 0 ? ZERO_TIME : { min: a[o] ?? 0, max: a[o + 1] ?? 0, total: a[o + 2] ?? 0, nr };
}

/** lock_stats() of every registered class, summed over the executors, in class-table order. */
export function lockStats(i32: Int32Array, base: number, nrCpus: number): LockStatClass[] {
  const r = lockStatRegion(base, nrCpus);
  const siteText = (idx: number): string => {
    const e = r.sites + (idx - 1) * LOCKSTAT_SITE_WORDS;
    return readText(i32, e + LSS_TEXT, Atomics.load(i32, e + LSS_LEN));
  };
  const out: LockStatClass[] = [];
  for (let slot = 0; slot < LOCKSTAT_CLASSES; slot++) {
    const e = r.classes + slot * LOCKSTAT_CLASS_WORDS;
    if (Atomics.load(i32, e + LSC_STATE) !== READY) continue;
    const c = newLockStatClass(readText(i32, e + LSC_NAME, Atomics.load(i32, e + LSC_NAME_LEN)), Atomics.load(i32, e + LSC_VERSION), Atomics.load(i32, e + LSC_SUBCLASS));
    const cpt = [0, 0, 0, 0];
    const dpt = [0, 0, 0, 0];
    for (let x = 0; x < Math.max(1, nrCpus); x++) {
      const a = new Float64Array(i32.buffer, i32.byteOffset + (r.stats + x * r.statWordsPerExec) * 4, LOCKSTAT_CLASSES * LOCKSTAT_STAT_F64);
      const o = slot * LOCKSTAT_STAT_F64;
      c.writeWait = addLockTime(c.writeWait, readTime(a, o + LSF_WRITE_WAIT));
      c.readWait = addLockTime(c.readWait, readTime(a, o + LSF_READ_WAIT));
      c.writeHold = addLockTime(c.writeHold, readTime(a, o + LSF_WRITE_HOLD));
      c.readHold = addLockTime(c.readHold, readTime(a, o + LSF_READ_HOLD));
      for (let b = 0; b < 4; b++) {
        c.bounces[b] = (c.bounces[b] ?? 0) + (a[o + LSF_BOUNCES + b] ?? 0);
        cpt[b] = (cpt[b] ?? 0) + (a[o + LSF_CONTENTION_POINT + b] ?? 0);
        dpt[b] = (dpt[b] ?? 0) + (a[o + LSF_CONTENDING_POINT + b] ?? 0);
      }
    }
    const points = (which: number, counts: number[]): LockStatPoint[] => {
      const pts: LockStatPoint[] = [];
      for (let i = 0; i < LOCKSTAT_POINTS; i++) {
        const s = Atomics.load(i32, e + which + i);
        if (s === 0) break;
        pts.push({ site: siteText(s), count: counts[i] ?? 0 });
      }
      return pts;
    };
    c.contentionPoints = points(LSC_CONTENTION_POINT, cpt);
    c.contendingPoints = points(LSC_CONTENDING_POINT, dpt);
    out.push(c);
  }
  return out;
}
