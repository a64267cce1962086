/*
 * ww_tests() of lib/locking-selftest.c: the wound/wait mutex family, run on the kernel's own
 * ww_mutex (kernels/locking/ww_mutex.ts, ww_acquire.ts) over the testcase's machine
 * (selftest_kapi.ts): its DEBUG_LOCKS_WARN_ON()s and lockdep's nest_lock rules decide each
 * testcase, as in the kernel. The objects are the kernel's: class `ww_lockdep` (wait-die),
 * contexts t and t2, ww_mutexes o, o2, o3, spinlocks A, X1, Y1, Y2 (X1 and Y1/Y2 of classes X, Y).
 *
 * Where the kernel's testcases poke at the structures (`t.stamp++`, `t2 = t`, `o.ctx = &t2`,
 * `t.acquired = 0`, `t.ww_class = NULL`), these poke at the same words of shared memory.
 */

import { installKapi, kapi, LD_WAIT, type Kapi, type LockClassKey, type LockdepMap } from '../kapi.js';
import { installSelftestKapi } from './selftest_kapi.js';
import type { Machine, Testcase } from './selftest_machine.js';
import { CTX_ACQUIRED, CTX_CLASS, CTX_STAMP, CTX_WORDS, DEFINE_WD_CLASS, DEFINE_WW_ACQUIRE_CTX, ww_acquire_done, ww_acquire_fini, ww_acquire_init, type WwAcquireCtx, type WwClass } from '../../kernels/locking/ww_acquire.js';
import { WW_CTX } from '../../kernels/locking/ww_mutex_waiters.js';
import {
  EALREADY,
  EDEADLK,
  ww_mutex_base_lock,
  ww_mutex_base_trylock,
  ww_mutex_base_unlock,
  ww_mutex_init,
  ww_mutex_lock,
  ww_mutex_lock_slow,
  ww_mutex_trylock,
  ww_mutex_unlock,
  type WwMutex,
} from '../../kernels/locking/ww_mutex.js';

/** A lock call that would have slept: the kernel's self-test would hang; here the testcase fails. */
class WouldBlock extends Error {}

function now(r: number | Promise<unknown>): number {
  if (typeof r !== 'number') throw new WouldBlock('would block');
  return r;
}

/** The testcase's world: the kernel's static objects, fresh for each testcase (reset_locks()). */
interface WW {
  readonly m: Machine;
  readonly cls: WwClass;
  readonly t: WwAcquireCtx;
  readonly t2: WwAcquireCtx;
  readonly o: WwMutex;
  readonly o2: WwMutex;
  readonly o3: WwMutex;
  readonly spin: (x: 'A' | 'X1' | 'Y1' | 'Y2') => LockdepMap;
}

function world(m: Machine): WW {
  const k = installSelftestKapi(m);
  const cls = DEFINE_WD_CLASS('ww_lockdep');
  const spinKeys = { A: 'lock_A', X1: 'lock_X', Y1: 'lock_Y', Y2: 'lock_Y' } as const;
  const spinMaps = new Map<string, LockdepMap>();
  // One static key per class: Y1 and Y2 share lock_Y's (init_shared_classes()).
  const keys = new Map<string, LockClassKey>();
  const keyOf = (name: string): LockClassKey => {
    let key = keys.get(name);
    if (key === undefined) {
      key = { name, ordinal: 0, type: 'spinlock', waitType: LD_WAIT.CONFIG };
      keys.set(name, key);
    }
    return key;
  };
  return {
    m,
    cls,
    t: DEFINE_WW_ACQUIRE_CTX('t'),
    t2: DEFINE_WW_ACQUIRE_CTX('t2'),
    o: ww_mutex_init('o', cls),
    o2: ww_mutex_init('o2', cls),
    o3: ww_mutex_init('o3', cls),
    spin: (x) => {
      let s = spinMaps.get(x);
      if (s === undefined) {
        s = { key: keyOf(spinKeys[x]), addr: k.shmAlloc(`lock_${x}`, 16).base * 4, name: spinKeys[x] };
        spinMaps.set(x, s);
      }
      return s;
    },
  };
}

/* The kernel's macros. */
const WWAI = (w: WW, c: WwAcquireCtx): void => ww_acquire_init(c, w.cls);
const WWAD = (c: WwAcquireCtx): void => ww_acquire_done(c);
const WWAF = (c: WwAcquireCtx): void => ww_acquire_fini(c);
const WWL = (o: WwMutex, c: WwAcquireCtx | null): number => now(ww_mutex_lock(o, c));
const WWT = (o: WwMutex): boolean => ww_mutex_trylock(o, null);
const WWU = (o: WwMutex): void => ww_mutex_unlock(o);
const L = (w: WW, x: 'A' | 'X1' | 'Y1' | 'Y2', nest: LockdepMap | null = null): void => w.m.ld.acquire(w.spin(x), 0, false, 0, nest);
const U = (w: WW, x: 'A' | 'X1' | 'Y1' | 'Y2'): void => w.m.ld.release(w.spin(x));
const word = (c: WwAcquireCtx, at: number): number => Atomics.load(c.i32, c.base + at);
function setWord(c: WwAcquireCtx, at: number, v: number): void {
  Atomics.store(c.i32, c.base + at, v);
}
/** `t2 = t`: the whole struct, its dep_map included. */
function copyCtx(dst: WwAcquireCtx, src: WwAcquireCtx): void {
  for (let i = 0; i < CTX_WORDS; i++) setWord(dst, i, word(src, i));
  dst.dep_map = src.dep_map;
}
function setOwnerCtx(o: WwMutex, c: WwAcquireCtx | null): void {
  Atomics.store(o.i32, o.base + WW_CTX, c === null ? 0 : c.ref);
}
/** WARN_ON() of a testcase: the kernel prints it and goes on; debug_locks decides, so nothing here. */
const WARN_ON = (_c: boolean): void => {};

function fail_acquire(w: WW): void {
  const { t, t2, o } = w;
  WWAI(w, t);
  setWord(t, CTX_STAMP, word(t, CTX_STAMP) + 1);
  WARN_ON(WWL(o, t) !== 0);
  WARN_ON(WWL(o, t) !== -EALREADY);
  WARN_ON(WWT(o));
  copyCtx(t2, t);
  setWord(t2, CTX_STAMP, word(t2, CTX_STAMP) + 1);
  WARN_ON(WWL(o, t2) !== -EDEADLK);
  WWU(o);
  if (WWT(o)) WWU(o);
}

function normal(w: WW): void {
  const { t, o } = w;
  WWAI(w, t);
  const stale = 0x7fffffff;
  const check = (): void => WARN_ON(Atomics.load(o.i32, o.base + WW_CTX) !== stale);
  Atomics.store(o.i32, o.base + WW_CTX, stale);
  // mutex_lock, mutex_lock_interruptible, mutex_lock_killable: one path here.
  for (let i = 0; i < 3; i++) {
    now(ww_mutex_base_lock(o));
    ww_mutex_base_unlock(o);
    check();
  }
  WARN_ON(!ww_mutex_base_trylock(o));
  ww_mutex_base_unlock(o);
  now(ww_mutex_base_lock(o));
  WARN_ON(ww_mutex_base_trylock(o));
  ww_mutex_base_unlock(o);
  check();
  // mutex_lock_nest_lock(&o.base, &t)
  w.m.ld.acquire(o.dep_map, 0, false, 0, t.dep_map);
  ww_mutex_base_unlock(o);
  check();
}

/** The edeadlk testcases' prologue: o2 (and o3) held by an older context t2 (through the base mutex). */
function edeadlk_setup(w: WW, o3too: boolean): void {
  const { t, t2, o, o2, o3 } = w;
  now(ww_mutex_base_lock(o2));
  w.m.ld.release(o2.dep_map);
  setOwnerCtx(o2, t2);
  if (o3too) {
    now(ww_mutex_base_lock(o3));
    w.m.ld.release(o3.dep_map);
    setOwnerCtx(o3, t2);
  }
  WWAI(w, t);
  copyCtx(t2, t);
  setWord(t2, CTX_STAMP, word(t2, CTX_STAMP) - 1);
  WARN_ON(WWL(o, t) !== 0);
  WARN_ON(WWL(o2, t) !== -EDEADLK);
}

/** o2 given back by its fake holder (o2.ctx = NULL, mutex_acquire(trylock) + base unlock). */
function edeadlk_release_o2(w: WW): void {
  setOwnerCtx(w.o2, null);
  w.m.ld.acquire(w.o2.dep_map, 0, true, 0, null);
  ww_mutex_base_unlock(w.o2);
}

const slowOrNot = (slow: boolean) => (o: WwMutex, c: WwAcquireCtx): void => {
  if (slow) {
    if (ww_mutex_lock_slow(o, c) !== undefined) throw new WouldBlock('would block');
  }
  else WWL(o, c);
};

type WwCase = (w: WW) => void;

const edeadlk_normal = (slow: boolean): WwCase => (w) => {
  edeadlk_setup(w, false);
  edeadlk_release_o2(w);
  WWU(w.o);
  slowOrNot(slow)(w.o2, w.t);
};
const edeadlk_no_unlock = (slow: boolean): WwCase => (w) => {
  edeadlk_setup(w, false);
  edeadlk_release_o2(w);
  slowOrNot(slow)(w.o2, w.t);
};
const edeadlk_acquire_more = (slow: boolean): WwCase => (w) => {
  edeadlk_setup(w, false);
  slowOrNot(slow)(w.o3, w.t);
};
const edeadlk_acquire_more_edeadlk = (slow: boolean): WwCase => (w) => {
  edeadlk_setup(w, true);
  if (slow) slowOrNot(true)(w.o3, w.t);
  else WARN_ON(WWL(w.o3, w.t) !== -EDEADLK);
};
const edeadlk_acquire_wrong = (slow: boolean): WwCase => (w) => {
  edeadlk_setup(w, false);
  WWU(w.o);
  slowOrNot(slow)(w.o3, w.t);
};

const CASES: Record<string, WwCase> = {
  fail_acquire,
  normal,
  unneeded_slow: (w) => {
    WWAI(w, w.t);
    slowOrNot(true)(w.o, w.t);
  },
  two_contexts: (w) => {
    WWAI(w, w.t);
    WWAI(w, w.t2);
  },
  diff_class: (w) => {
    WWAI(w, w.t);
    setWord(w.t, CTX_CLASS, 0);
    WWL(w.o, w.t);
  },
  context_done_twice: (w) => {
    WWAI(w, w.t);
    WWAD(w.t);
    WWAD(w.t);
    WWAF(w.t);
  },
  context_unlock_twice: (w) => {
    WWAI(w, w.t);
    WWAD(w.t);
    WWAF(w.t);
    WWAF(w.t);
  },
  context_fini_early: (w) => {
    WWAI(w, w.t);
    WWL(w.o, w.t);
    WWAD(w.t);
    WWAF(w.t);
  },
  context_lock_after_done: (w) => {
    WWAI(w, w.t);
    WWAD(w.t);
    WWL(w.o, w.t);
  },
  object_unlock_twice: (w) => {
    WWL(w.o, null);
    WWU(w.o);
    WWU(w.o);
  },
  object_lock_unbalanced: (w) => {
    WWAI(w, w.t);
    WWL(w.o, w.t);
    setWord(w.t, CTX_ACQUIRED, 0);
    WWU(w.o);
    WWAF(w.t);
  },
  object_lock_stale_context: (w) => {
    WWAI(w, w.t);
    setOwnerCtx(w.o, w.t2);
    WWL(w.o, w.t);
  },
  edeadlk_normal: edeadlk_normal(false),
  edeadlk_normal_slow: edeadlk_normal(true),
  edeadlk_no_unlock: edeadlk_no_unlock(false),
  edeadlk_no_unlock_slow: edeadlk_no_unlock(true),
  edeadlk_acquire_more: edeadlk_acquire_more(false),
  edeadlk_acquire_more_slow: edeadlk_acquire_more(true),
  edeadlk_acquire_more_edeadlk: edeadlk_acquire_more_edeadlk(false),
  edeadlk_acquire_more_edeadlk_slow: edeadlk_acquire_more_edeadlk(true),
  edeadlk_acquire_wrong: edeadlk_acquire_wrong(false),
  edeadlk_acquire_wrong_slow: edeadlk_acquire_wrong(true),
  spin_nest_unlocked: (w) => {
    L(w, 'A', w.o.dep_map);
    U(w, 'A');
  },
  spin_nest_lock: (w) => {
    L(w, 'X1');
    L(w, 'Y1', w.spin('X1'));
    L(w, 'A');
    L(w, 'Y2', w.spin('X1'));
    U(w, 'A');
    U(w, 'Y2');
    U(w, 'Y1');
    U(w, 'X1');
  },
  context_block: (w) => {
    WWAI(w, w.t);
    WARN_ON(WWL(w.o, w.t) !== 0);
    WWL(w.o2, null);
  },
  context_try: (w) => {
    WWAI(w, w.t);
    WARN_ON(WWL(w.o, w.t) !== 0);
    WARN_ON(!WWT(w.o2));
    WWU(w.o2);
    WWU(w.o);
  },
  context_context: (w) => {
    WWAI(w, w.t);
    WARN_ON(WWL(w.o, w.t) !== 0);
    WARN_ON(WWL(w.o2, w.t) !== 0);
    WWU(w.o2);
    WWU(w.o);
  },
  try_block: (w) => {
    WARN_ON(!WWT(w.o));
    WWL(w.o2, null);
    WWU(w.o2);
    WWU(w.o);
  },
  try_try: (w) => {
    WARN_ON(!WWT(w.o));
    WARN_ON(!WWT(w.o2));
    WWU(w.o2);
    WWU(w.o);
  },
  try_context: (w) => {
    WARN_ON(!WWT(w.o));
    WWAI(w, w.t);
    WARN_ON(WWL(w.o2, w.t) !== 0);
  },
  block_block: (w) => {
    WWL(w.o, null);
    WWL(w.o2, null);
  },
  block_try: (w) => {
    WWL(w.o, null);
    WARN_ON(!WWT(w.o2));
  },
  block_context: (w) => {
    WWL(w.o, null);
    WWAI(w, w.t);
    WARN_ON(WWL(w.o2, w.t) !== 0);
  },
  spin_block: (w) => {
    L(w, 'A');
    U(w, 'A');
    WWL(w.o, null);
    L(w, 'A');
    U(w, 'A');
    WWU(w.o);
    L(w, 'A');
    WWL(w.o, null);
    WWU(w.o);
    U(w, 'A');
  },
  spin_try: (w) => {
    L(w, 'A');
    U(w, 'A');
    WARN_ON(!WWT(w.o));
    L(w, 'A');
    U(w, 'A');
    WWU(w.o);
    L(w, 'A');
    WARN_ON(!WWT(w.o));
    WWU(w.o);
    U(w, 'A');
  },
  spin_context: (w) => {
    L(w, 'A');
    U(w, 'A');
    WWAI(w, w.t);
    WARN_ON(WWL(w.o, w.t) !== 0);
    L(w, 'A');
    U(w, 'A');
    WWU(w.o);
    L(w, 'A');
    WARN_ON(WWL(w.o, w.t) !== 0);
    WWU(w.o);
    U(w, 'A');
  },
};

const SUCCESS = true;
const FAILURE = false;

/** ww_tests()'s rows: name and its testcases with the kernel's expectations, in the kernel's order. */
const ROWS: readonly { readonly desc: string; readonly cases: readonly [keyof typeof CASES, boolean][]; readonly before?: readonly string[] }[] = [
  { desc: 'ww api failures', cases: [['fail_acquire', SUCCESS], ['normal', SUCCESS], ['unneeded_slow', FAILURE]] },
  { desc: 'ww contexts mixing', cases: [['two_contexts', FAILURE], ['diff_class', FAILURE]] },
  { desc: 'finishing ww context', cases: [['context_done_twice', FAILURE], ['context_unlock_twice', FAILURE], ['context_fini_early', FAILURE], ['context_lock_after_done', FAILURE]] },
  { desc: 'locking mismatches', cases: [['object_unlock_twice', FAILURE], ['object_lock_unbalanced', FAILURE], ['object_lock_stale_context', FAILURE]] },
  {
    desc: 'EDEADLK handling',
    cases: [
      ['edeadlk_normal', SUCCESS],
      ['edeadlk_normal_slow', SUCCESS],
      ['edeadlk_no_unlock', FAILURE],
      ['edeadlk_no_unlock_slow', FAILURE],
      ['edeadlk_acquire_more', FAILURE],
      ['edeadlk_acquire_more_slow', FAILURE],
      ['edeadlk_acquire_more_edeadlk', FAILURE],
      ['edeadlk_acquire_more_edeadlk_slow', FAILURE],
      ['edeadlk_acquire_wrong', FAILURE],
      ['edeadlk_acquire_wrong_slow', FAILURE],
    ],
  },
  { desc: 'spinlock nest unlocked', cases: [['spin_nest_unlocked', FAILURE]] },
  { desc: 'spinlock nest test', cases: [['spin_nest_lock', SUCCESS]] },
  {
    desc: 'context',
    before: ['  -----------------------------------------------------', '                                 |block | try  |context|', '  -----------------------------------------------------'],
    cases: [['context_block', FAILURE], ['context_try', SUCCESS], ['context_context', SUCCESS]],
  },
  { desc: 'try', cases: [['try_block', FAILURE], ['try_try', SUCCESS], ['try_context', FAILURE]] },
  { desc: 'block', cases: [['block_block', FAILURE], ['block_try', SUCCESS], ['block_context', FAILURE]] },
  { desc: 'spinlock', cases: [['spin_block', FAILURE], ['spin_try', SUCCESS], ['spin_context', FAILURE]] },
];

/**
 * A ww testcase as the self-test runs one: a would-block counts as a finding (debug_locks off).
 * The thread's own kapi (a guest's CPU 0 runs the self-test at boot) is put back afterwards.
 */
function wwTestcase(c: WwCase): Testcase {
  return (m) => {
    const saved: Kapi | undefined = kapi;
    try {
      c(world(m));
    } catch (e) {
      if (!(e instanceof WouldBlock)) throw e;
      m.ld.debugLocksOff?.();
    } finally {
      if (saved !== undefined) installKapi(saved);
    }
  };
}

/** The printing helpers of locking_selftest() that a family uses. */
export interface SelftestPrinter {
  print(line: string): void;
  testname(name: string): void;
  dotest(tc: Testcase, expected: boolean): void;
  endRow(): void;
}

/** ww_tests(): the header and the rows. */
export function ww_tests(p: SelftestPrinter): void {
  p.print('  --------------------------------------------------------------------------');
  p.print('  | Wound/wait tests |');
  p.print('  ---------------------');
  for (const row of ROWS) {
    for (const l of row.before ?? []) p.print(l);
    p.testname(row.desc);
    for (const [name, expected] of row.cases) p.dotest(wwTestcase(CASES[name] as WwCase), expected);
    p.endRow();
  }
}
