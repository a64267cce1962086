import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createLockdepBuffer, watchDeadlocks, type LockdepReport } from './user_api.js';

const fixture = new URL('../../dist/harness/lockdep/test_support/wait_worker.js', import.meta.url);
const SITE = String.raw`\(harness/lockdep/test_support/wait_worker\.ts:\d+\)`;

/** Start the scenario's workers and collect the watchdog's reports until `enough` (or 30 s). */
async function watch(scenario: 'deadlock' | 'hung', threads: number, worker: boolean, enough: (r: LockdepReport[]) => boolean): Promise<LockdepReport[]> {
  const buf = createLockdepBuffer();
  const locks = new SharedArrayBuffer(64);
  const got: LockdepReport[] = [];
  const workers = Array.from({ length: threads }, (_, role) => new Worker(fixture, { workerData: { buf, locks, role, scenario, name: ['first', 'second'][role] ?? 'x' }, execArgv: ['--enable-source-maps'] }));
  let dog: { stop(): Promise<void> } | null = null;
  try {
    await new Promise<void>((resolve, reject) => {
      const cap = setTimeout(() => reject(new Error(`no report in 30 s: ${got.map((r) => r.kind).join(', ')}`)), 30_000);
      dog = watchDeadlocks(buf, {
        intervalMs: 50,
        hungTaskTimeoutSecs: 1,
        worker,
        onReport: (r) => {
          got.push(r);
          if (enough(got)) {
            clearTimeout(cap);
            resolve();
          }
        },
      });
    });
  } finally {
    await (dog as { stop(): Promise<void> } | null)?.stop();
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return got;
}

describe('watchDeadlocks(): the watchdog for programs annotated with waiting()/woken()', () => {
  it('timers in the main thread report the real deadlock of two blocked workers, once', async () => {
    const got = await watch('deadlock', 2, false, (r) => r.length > 0);
    expect(got.map((r) => r.kind)).toEqual(['deadlock']);
    const text = got[0]?.text ?? '';
    expect(text).toMatch(new RegExp(String.raw`^first/\d+ is blocked on lock:\nffffffff80000002 \(lock_b\), at: take_a_then_b ${SITE}\nwhich is held by second/\d+$`, 'm'));
    expect(text).toMatch(new RegExp(String.raw`^second/\d+ is blocked on lock:\nffffffff80000001 \(lock_a\), at: take_b_then_a ${SITE}\nwhich is held by first/\d+$`, 'm'));
    expect(text).toMatch(new RegExp(String.raw`^ #0: ffffffff80000001 \(lock_a\)\{\+\.\+\.\}-\{3:3\}, at: take_a_then_b ${SITE}$`, 'm'));
  });

  it('a watchdog worker does the same (for programs whose every thread may block)', async () => {
    const got = await watch('deadlock', 2, true, (r) => r.length > 0);
    expect(got.map((r) => r.kind)).toEqual(['deadlock']);
    expect(got[0]?.title).toBe('DEADLOCK: 2 threads blocked in a wait-for cycle');
  });

  it('a wait for an event nobody signals is a hung task after the timeout, with the wait and its site', async () => {
    const got = await watch('hung', 1, false, (r) => r.length > 0);
    expect(got.map((r) => r.kind)).toEqual(['hung_task']);
    const lines = (got[0]?.text ?? '').split('\n');
    expect(lines[0]).toMatch(/^INFO: task first:\d+ blocked for more than [1-9]\d* seconds\.$/);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(String.raw`^ waiting \d+s for: ffffffff80000003 \(data_ready\), at: wait_for_data ${SITE}$`)));
    expect(lines).toContain(' held by: nothing (an event: only a wake-up ends this wait; none came: a lost wake-up?)');
  });

  it('bad input is one line', () => {
    expect(() => watchDeadlocks(new SharedArrayBuffer(8))).toThrow("Cannot watch for deadlocks as 'buffer' must be a SharedArrayBuffer from createLockdepBuffer(): current value is object");
    expect(() => watchDeadlocks(createLockdepBuffer(), { intervalMs: 0 })).toThrow("Cannot watch for deadlocks as 'intervalMs' must be an integer >= 1: current value is 0");
  });
});
