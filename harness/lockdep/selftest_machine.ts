/*
 * The self-test's machine (lib/locking-selftest.c's per-testcase reset): a fresh lockdep region,
 * one task, one CPU's irq flags, the locks of the six kinds and their classes; and the testcase
 * type every family (selftest.ts, selftest_wait_context.ts) is written in.
 */

import { LOCK_TYPE_PROPS, type LockClassKey, type LockdepMap, type LockRead, type LockType, type WaitType } from '../kapi.js';
import { lockdepInit, regionWords } from './index.js';
import { SimEnv, SimTask } from './sim_env.js';
import type { Lockdep, LockdepLimits } from './types.js';

const LIMITS: LockdepLimits = { MAX_LOCKDEP_KEYS: 64, MAX_LOCKDEP_ENTRIES: 512, MAX_LOCKDEP_CHAINS: 512, MAX_STACK_TRACE_ENTRIES: 16384, ARENA_WORDS: 1 << 16 };

export type Kind = 'spin' | 'wlock' | 'rlock' | 'mutex' | 'wsem' | 'rsem' | 'rtmutex';
export type Irq = 'hard' | 'soft';

/** One testcase's machine: a fresh region, one task, one CPU's irq flags. */
export class Machine {
  readonly env = new SimEnv(new SimTask(1, 'swapper/0'));
  readonly ld: Lockdep;
  readonly #maps = new Map<string, LockdepMap>();
  readonly #keys = new Map<string, LockClassKey>();
  #bh = 0;

  /** `waitContext`: check_wait_context() on, with CONFIG_PROVE_RAW_LOCK_NESTING (the wait-context family). */
  constructor(waitContext = false) {
    const i32 = new Int32Array(new SharedArrayBuffer(regionWords(LIMITS) * 4));
    this.env.printer = () => {};
    this.env.captureStack = (): string[] => ['locking_selftest (harness/lockdep/selftest.ts:0)'];
    this.ld = lockdepInit(i32, 0, this.env, { resetRegion: true, limits: LIMITS, waitContext, rawLockNesting: waitContext });
  }

  /** A lock of its own class `name` (type and inner wait type as given), for families beyond the six kinds. */
  map(name: string, type: LockType, waitType: WaitType): LockdepMap {
    let m = this.#maps.get(name);
    if (m === undefined) {
      m = { key: { name, ordinal: 0, type, waitType }, addr: 0x100 + this.#maps.size * 0x40, name };
      this.#maps.set(name, m);
    }
    return m;
  }

  /** X1 and X2 share class X (init_shared_classes); A..D are classes of their own. */
  #map(prefix: string, inst: string, type: LockType): LockdepMap {
    const id = `${prefix}_${inst}`;
    let m = this.#maps.get(id);
    if (m === undefined) {
      const cname = /^[XYZ]\d$/.test(inst) ? `${prefix}_${inst[0] ?? ''}` : id;
      let key = this.#keys.get(cname);
      if (key === undefined) {
        key = { name: cname, ordinal: 0, type, waitType: LOCK_TYPE_PROPS[type].waitType };
        this.#keys.set(cname, key);
      }
      m = { key, addr: 0x100 + this.#maps.size * 0x40, name: cname };
      this.#maps.set(id, m);
    }
    return m;
  }

  #lockOf(kind: Kind, x: string): { map: LockdepMap; read: LockRead } {
    switch (kind) {
      case 'spin':
        return { map: this.#map('lock', x, 'spinlock'), read: 0 };
      case 'wlock':
        return { map: this.#map('rwlock', x, 'rwlock'), read: 0 };
      case 'rlock':
        return { map: this.#map('rwlock', x, 'rwlock'), read: 2 };
      case 'mutex':
        return { map: this.#map('mutex', x, 'mutex'), read: 0 };
      case 'wsem':
        return { map: this.#map('rwsem', x, 'rwsem'), read: 0 };
      case 'rsem':
        return { map: this.#map('rwsem', x, 'rwsem'), read: 1 };
      case 'rtmutex': // lockdep sees an rt_mutex as a mutex (selftest_rtmutex.ts)
        return { map: this.#map('rtmutex', x, 'mutex'), read: 0 };
    }
  }

  lock(kind: Kind, x: string): void {
    const l = this.#lockOf(kind, x);
    this.ld.acquire(l.map, 0, false, l.read, null);
  }

  unlock(kind: Kind, x: string): void {
    this.ld.release(this.#lockOf(kind, x).map);
  }

  lockUnlock2(kind: Kind, x: string, y: string): void {
    this.lock(kind, x);
    this.lock(kind, y);
    this.unlock(kind, y);
    this.unlock(kind, x);
  }

  irqDisable(): void {
    this.env.irq.irqsDisabled = true;
  }

  irqEnable(): void {
    this.env.irq.irqsDisabled = false;
    this.ld.hardirqsOn();
  }

  bhDisable(): void {
    this.#bh++;
    this.env.irq.bhDisabled = true;
  }

  bhEnable(): void {
    this.#bh--;
    if (this.#bh === 0) {
      this.env.irq.bhDisabled = false;
      this.ld.softirqsOn();
    }
  }

  /* IRQ_ENTER/EXIT/DISABLE/ENABLE of locking-selftest-{hardirq,softirq}.h */
  enter(irq: Irq, threaded = true): void {
    if (irq === 'hard') {
      this.irqDisable();
      this.env.irq.hardirq = true;
      // HARDIRQ_ENTER()'s lockdep_hardirq_threaded(); NOTTHREADED_HARDIRQ leaves it off.
      this.env.irq.hardirqThreaded = threaded;
    } else {
      this.bhDisable();
      this.irqDisable();
      this.env.irq.softirq = true;
    }
  }

  exit(irq: Irq): void {
    if (irq === 'hard') {
      this.env.irq.hardirq = false;
      this.env.irq.hardirqThreaded = false;
      this.irqEnable();
    } else {
      this.env.irq.softirq = false;
      this.irqEnable();
      this.bhEnable();
    }
  }

  disable(irq: Irq): void {
    if (irq === 'hard') this.irqDisable();
    else this.bhDisable();
  }

  enable(irq: Irq): void {
    if (irq === 'hard') this.irqEnable();
    else this.bhEnable();
  }
}

export type Testcase = (m: Machine) => void;
