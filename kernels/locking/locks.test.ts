import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAKE_SHM_WORDS } from './test_support/fake_kapi.js';
import { T_ACQUIRED, T_COUNTER, T_VIOLATIONS, type LockKind, type LockWorkerData, type LockWorkerResult } from './test_support/lock_words.js';

/** dist/ copy of the worker (workers load compiled JS: `npm test` builds first). */
function workerPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const inDist = here.split(path.sep).includes('dist');
  const root = inDist ? path.resolve(here, '..', '..', '..') : path.resolve(here, '..', '..');
  return path.join(root, 'dist', 'kernels', 'locking', 'test_support', 'lock_worker.js');
}

async function runWorkers(n: number, base: Omit<LockWorkerData, 'cpu' | 'nrCpus' | 'sab'>, timeoutMs = 30_000): Promise<{ i32: Int32Array; results: LockWorkerResult[] }> {
  const sab = new SharedArrayBuffer(FAKE_SHM_WORDS * 4);
  const workers = Array.from({ length: n }, (_, cpu) => new Worker(workerPath(), { workerData: { ...base, sab, cpu, nrCpus: n } satisfies LockWorkerData }));
  const timer = setTimeout(() => {
    for (const w of workers) void w.terminate();
  }, timeoutMs);
  try {
    const results = await Promise.all(
      workers.map(
        (w) =>
          new Promise<LockWorkerResult>((resolve, reject) => {
            w.once('message', (m: LockWorkerResult) => resolve(m));
            w.once('error', reject);
            w.once('exit', (code) => reject(new Error(`worker exited with ${code} before reporting`)));
          }),
      ),
    );
    return { i32: new Int32Array(sab), results };
  } finally {
    clearTimeout(timer);
    for (const w of workers) void w.terminate();
  }
}

const ITERS = 20_000;

describe('lock exclusion under contention (4 worker threads, fake kapi)', () => {
  for (const kind of ['spinlock', 'mutex', 'rwlock', 'rwsem', 'percpu_rwsem'] as const satisfies readonly LockKind[]) {
    it(`${kind} excludes writers (and readers) and loses no increment`, async () => {
      const { i32, results } = await runWorkers(4, { scenario: 'exclusion', kind, iters: ITERS });
      const writers = results.filter((r) => r.note === 'writer').length;
      expect(Atomics.load(i32, T_VIOLATIONS)).toBe(0);
      expect(Atomics.load(i32, T_COUNTER)).toBe(writers * ITERS);
      // Contention really happened somewhere (the slow path ran).
      expect(results.reduce((s, r) => s + r.counters.contended, 0)).toBeGreaterThan(0);
      // Every lock/unlock was annotated.
      for (const r of results) expect(r.counters.acquire).toBe(r.counters.release);
    });
  }

  it('lock_busted is caught by the same checks', async () => {
    const { i32 } = await runWorkers(4, { scenario: 'exclusion', kind: 'busted', iters: ITERS });
    const lost = 4 * ITERS - Atomics.load(i32, T_COUNTER);
    expect(Atomics.load(i32, T_VIOLATIONS) + lost).toBeGreaterThan(0);
  });
});

describe('lock fast paths', () => {
  for (const kind of ['spinlock', 'mutex', 'rwlock', 'rwsem', 'percpu_rwsem'] as const satisfies readonly LockKind[]) {
    it(`${kind}: uncontended lock/unlock never reaches the slow path, kicks or wakes`, async () => {
      const { results } = await runWorkers(1, { scenario: 'uncontended', kind, iters: 1000 });
      const c = results[0]?.counters;
      expect(c?.contended).toBe(0);
      expect(c?.spinKick).toBe(0);
      expect(c?.spinWait).toBe(0);
      expect(c?.waitSleeps).toBe(0);
      expect(c?.acquire).toBeGreaterThanOrEqual(1000);
      expect(c?.acquire).toBe(c?.release);
    });
  }
});

describe('mutex_unlock() with a waiter frozen on an offline CPU', () => {
  it('the waiter still gets the mutex after another task took it on the fast path meanwhile', async () => {
    const { i32, results } = await runWorkers(3, { scenario: 'mutex_frozen', kind: 'mutex', iters: 0 }, 20_000);
    expect(results.map((r) => r.note).sort()).toEqual(['holder', 'stealer', 'waiter']);
    expect(Atomics.load(i32, T_ACQUIRED)).toBe(1);
  });
});

describe('rwlock (qrwlock) readers in interrupt context', () => {
  it('get in past a waiting writer (read=2), while task-context readers queue behind it', async () => {
    const { i32, results } = await runWorkers(3, { scenario: 'rwlock_irq', kind: 'rwlock', iters: 0 }, 20_000);
    expect(results.map((r) => r.note).sort()).toEqual(['irq-reader', 'task-reader', 'writer']);
    expect(Atomics.load(i32, T_VIOLATIONS)).toBe(0);
    const irq = results.find((r) => r.note === 'irq-reader');
    expect(irq?.counters.recursiveReads).toBe(1);
    expect(results.find((r) => r.note === 'task-reader')?.counters.recursiveReads).toBe(0);
  });
});
