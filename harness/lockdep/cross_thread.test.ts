import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { LOCKDEP_SHM_WORDS } from './index.js';

interface Result {
  lines: string[];
  bugs: string[];
  validations: number;
}

const fixture = new URL('../../dist/harness/lockdep/test_support/abba_worker.js', import.meta.url);

function run(sab: SharedArrayBuffer, order: 'ab' | 'ba', pid: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const w = new Worker(fixture, { workerData: { sab, base: 32, order, pid }, execArgv: ['--enable-source-maps'] });
    let result: Result | null = null;
    w.on('message', (m: Result) => (result = m));
    w.on('error', reject);
    w.on('exit', () => (result === null ? reject(new Error('worker ended without a result')) : resolve(result)));
  });
}

describe('lockdep shared across worker threads', () => {
  it('AB then, later and on another thread, BA gives the circular report with both stacks', async () => {
    const sab = new SharedArrayBuffer((LOCKDEP_SHM_WORDS + 64) * 4);
    const first = await run(sab, 'ab', 7);
    expect(first.bugs).toEqual([]);
    // The first worker has exited before the second starts: the orders never overlap in time.
    const second = await run(sab, 'ba', 9);
    expect(second.bugs).toEqual(['circular']);
    const text = second.lines.join('\n');
    expect(text).toContain('worker_ba/9 is trying to acquire lock:');
    expect(text).toMatch(/-> #1 \(lock_b\)\{\+\.\+\.\}-\{3:3\}:\n {6}mutex_lock \(harness\/lockdep\/test_support\/abba_worker\.ts:\d+\)\n {6}take_a_then_b \(harness\/lockdep\/test_support\/abba_worker\.ts:\d+\)/);
    expect(text).toMatch(/-> #0 \(lock_a\)\{\+\.\+\.\}-\{3:3\}:\n {6}mutex_lock \(harness\/lockdep\/test_support\/abba_worker\.ts:\d+\)\n {6}take_b_then_a \(harness\/lockdep\/test_support\/abba_worker\.ts:\d+\)/);
    expect(text).toContain('CPU: 9 PID: 9 Comm: worker_ba Not tainted');
  });

  it('consistent orders on two threads stay clean; the second thread hits the shared chains', async () => {
    const sab = new SharedArrayBuffer((LOCKDEP_SHM_WORDS + 64) * 4);
    const first = await run(sab, 'ab', 3);
    const second = await run(sab, 'ab', 4);
    expect(first.bugs).toEqual([]);
    expect(second.bugs).toEqual([]);
    expect(first.validations).toBe(2);
    expect(second.validations).toBe(0);
  });
  it('threads creating chains at the same time validate each chain once, without false positives', async () => {
    const sab = new SharedArrayBuffer((LOCKDEP_SHM_WORDS + 64) * 4);
    const start = new SharedArrayBuffer(8);
    const startI = new Int32Array(start);
    const hammer = new URL('../../dist/harness/lockdep/test_support/hammer_worker.js', import.meta.url);
    const results = [1, 2, 3].map(
      (pid) =>
        new Promise<{ bugs: string[]; validations: number; stats: string }>((resolve, reject) => {
          const w = new Worker(hammer, { workerData: { sab, base: 32, start, pid, rounds: 20_000 } });
          w.on('message', resolve);
          w.on('error', reject);
        }),
    );
    // Wait until all three are attached, then release them together.
    const deadline = Date.now() + 10_000;
    while (Atomics.load(startI, 1) < 3 && Date.now() < deadline) Atomics.wait(startI, 1, Atomics.load(startI, 1), 50);
    Atomics.store(startI, 0, 1);
    Atomics.notify(startI, 0);
    const all = await Promise.all(results);
    expect(all.flatMap((r) => r.bugs)).toEqual([]);
    const chains = Number(/dependency chains: +(\d+)/.exec(all[0]?.stats ?? '')?.[1]);
    // A chain is a sorted subset of the 5 locks (every prefix of one is another): 31 chains.
    expect(chains).toBe(31);
    expect(all.reduce((n, r) => n + r.validations, 0)).toBe(chains);
  });
});
