import { describe, expect, it } from 'vitest';
import type { LockClassKey, LockdepMap, LockRead, LockType } from '../kapi.js';
import { lockdepInit, regionWords } from './index.js';
import { C_ORDER_SEARCHES, C_ORDER_SKIPS, H_ORDER_OK } from './layout.js';
import { SimEnv, SimTask } from './sim_env.js';
import type { LockdepLimits } from './types.js';
import { mulberry32 } from './trace/trace_gen.js';

const LIMITS: LockdepLimits = { MAX_LOCKDEP_KEYS: 256, MAX_LOCKDEP_ENTRIES: 8192, MAX_LOCKDEP_CHAINS: 16384, MAX_STACK_TRACE_ENTRIES: 1 << 16, ARENA_WORDS: 1 << 18 };

/** Replay one random workload; `order` false switches the class order off (the kernel's BFS for every dependency). */
function replay(seed: number, order: boolean): { findings: string[]; deps: number; skips: number; searches: number } {
  const i32 = new Int32Array(new SharedArrayBuffer(regionWords(LIMITS) * 4));
  const env = new SimEnv(new SimTask(1, 't0'));
  let step = 0;
  env.captureStack = () => [`step ${step}`];
  const ld = lockdepInit(i32, 0, env, { limits: LIMITS, continueAfterReport: true });
  if (!order) i32[H_ORDER_OK] = 0;
  const r = mulberry32(seed);
  // Odd seeds: often against the order (the order soon ends); even seeds: rarely (it mostly holds).
  const against = seed % 2 === 1 ? 0.15 : 0.004;
  const types: LockType[] = ['mutex', 'rwlock', 'rwsem', 'spinlock'];
  const maps: LockdepMap[] = [];
  for (let c = 0; c < 24; c++) {
    const type = types[c % 4] ?? 'mutex';
    const key: LockClassKey = { name: `l${c}`, ordinal: 0, type, waitType: 3 };
    maps.push({ key, addr: c * 64, name: key.name });
  }
  const tasks = [0, 1, 2, 3].map((p) => new SimTask(p + 1, `t${p}`));
  const held: number[][] = tasks.map(() => []);
  for (step = 0; step < 3000; step++) {
    const t = Math.floor(r() * tasks.length);
    env.task = tasks[t] ?? env.task;
    const h = held[t] ?? [];
    if (h.length < 4 && r() < 0.55) {
      // Mostly one order (classes ascending), sometimes against it: cycles of every edge kind.
      const top = h.length > 0 ? (h[h.length - 1] ?? 0) : -1;
      if (top >= 23) continue;
      const c = r() >= against ? top + 1 + Math.floor(r() * (23 - top)) : Math.floor(r() * 24);
      if (h.includes(c)) continue;
      const m = maps[c];
      if (m === undefined) continue;
      const rw = m.key.type === 'rwlock' || m.key.type === 'rwsem';
      const read: LockRead = rw && r() < 0.5 ? (m.key.type === 'rwlock' && r() < 0.5 ? 2 : 1) : 0;
      ld.acquire(m, 0, r() < 0.1, read, null);
      h.push(c);
    } else if (h.length > 0) {
      const j = r() < 0.8 ? h.length - 1 : Math.floor(r() * h.length);
      const c = h[j] ?? 0;
      h.splice(j, 1);
      const m = maps[c];
      if (m !== undefined) ld.release(m);
    }
  }
  return {
    findings: env.bugs.map((b) => `${b.kind}: ${b.finding?.classes.join(' ') ?? ''}`),
    deps: ld.dependencies,
    skips: i32[C_ORDER_SKIPS] ?? 0,
    searches: i32[C_ORDER_SEARCHES] ?? 0,
  };
}

describe('the class order (Pearce-Kelly) in front of the kernel BFS', () => {
  it('gives the kernel verdicts exactly, with read and recursive-read edges and cycles', () => {
    let skipped = 0;
    let reported = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const fast = replay(seed, true);
      const kernel = replay(seed, false);
      expect(fast.findings).toEqual(kernel.findings);
      expect(fast.deps).toBe(kernel.deps);
      expect(kernel.skips).toBe(0);
      skipped += fast.skips;
      reported += fast.findings.length;
    }
    // The comparison means something: the order answered many checks and there were reports.
    expect(skipped).toBeGreaterThan(10_000);
    expect(reported).toBeGreaterThan(20);
  });
});
