import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Mutex as AsyncMutex } from 'async-mutex';
import { attachLockdep, createLockdepBuffer, type LockdepReport } from '../lockdep/user_api.js';
import { Condition, disableLockdep, enableLockdep, Mutex, useLockdep, withLockdep } from './index.js';
import { runLocks } from './test_support/run_locks.js';

afterEach(() => disableLockdep());

const here = path.dirname(fileURLToPath(import.meta.url));
const SITE = String.raw`\((?:harness/locks/test_support/locks_worker\.ts):\d+\)`;

describe('torture/locks with lockdep, on real worker threads', () => {
  it('AB-BA across two workers that never overlap: the potential-deadlock report, in lockdep format', async () => {
    await enableLockdep();
    const a = new Mutex({ name: 'lock_a' });
    const b = new Mutex({ name: 'lock_b' });
    // threads: 1 each, one after the other: the orders never meet in time.
    const first = await runLocks({ scenario: 'abba', threads: 1, iters: 1, locks: [a.handle, b.handle], lockdep: true, names: ['first'] });
    expect(first.reports).toEqual([]);
    const second = await runLocks({ scenario: 'abba', threads: 2, iters: 1, locks: [a.handle, b.handle], lockdep: true, names: ['unused', 'second'], until: (r) => r.length > 0 });
    const text = second.reports.map((r) => r.text).join('\n');
    expect(second.reports.map((r) => r.kind)).toContain('circular');
    expect(text).toContain('WARNING: possible circular locking dependency detected');
    expect(text).toMatch(new RegExp(String.raw`-> #1 \(lock_b\)\{\+\.\+\.\}-\{3:3\}:\n(.*\n)*? {6}take_a_then_b ${SITE}`));
    expect(text).toMatch(new RegExp(String.raw`-> #0 \(lock_a\)\{\+\.\+\.\}-\{3:3\}:\n(.*\n)*? {6}take_b_then_a ${SITE}`));
  });

  it('a real two-worker deadlock: the DEADLOCK report names each wait, its holder and the acquisition sites', async () => {
    await enableLockdep();
    const a = new Mutex({ name: 'lock_a' });
    const b = new Mutex({ name: 'lock_b' });
    const run = await runLocks({
      scenario: 'deadlock',
      threads: 2,
      iters: 1,
      locks: [a.handle, b.handle],
      lockdep: true,
      names: ['first', 'second'],
      until: (r) => r.some((x) => x.kind === 'deadlock'),
    });
    expect(run.stopped).toBe(true);
    const reports = run.reports.filter((r) => r.kind === 'deadlock');
    expect(reports).toHaveLength(1); // one report for the cycle, whichever waiter found it
    const lines = (reports[0]?.text ?? '').split('\n');
    const pidA = /^first\/(\d+) is blocked on lock:$/.exec(lines[4] ?? '')?.[1] ?? '?';
    const pidB = /^which is held by second\/(\d+)$/.exec(lines[6] ?? '')?.[1] ?? '?';
    const at = (fn: string): string => String.raw`${fn} ${SITE}`;
    const title = 'DEADLOCK: 2 threads blocked in a wait-for cycle';
    const expected = [
      '='.repeat(title.length),
      title,
      'user-program Not tainted',
      '-'.repeat(title.length),
      `first/${pidA} is blocked on lock:`,
      String.raw`ffffffff8000000\d \(lock_b\), at: ${at('take_a_then_b')}`,
      `which is held by second/${pidB}`,
      '',
      `second/${pidB} is blocked on lock:`,
      String.raw`ffffffff8000000\d \(lock_a\), at: ${at('take_b_then_a')}`,
      `which is held by first/${pidA}`,
      '',
      `the wait-for cycle: first/${pidA} -> (lock_b) -> second/${pidB} -> (lock_a) -> first/${pidA}`,
      '',
      'no thread of the cycle can run: each waits for a lock the next one holds.',
      '',
      `2 locks held by first/${pidA}:`,
      String.raw` #0: ffffffff8000000\d \(lock_a\)\{\+\.\+\.\}-\{3:3\}, at: ${at('take_a_then_b')}`,
      String.raw` #1: ffffffff8000000\d \(lock_b\)\{\+\.\+\.\}-\{3:3\}, at: ${at('take_a_then_b')}`,
      '',
      `2 locks held by second/${pidB}:`,
      String.raw` #0: ffffffff8000000\d \(lock_b\)\{\+\.\+\.\}-\{3:3\}, at: ${at('take_b_then_a')}`,
      String.raw` #1: ffffffff8000000\d \(lock_a\)\{\+\.\+\.\}-\{3:3\}, at: ${at('take_b_then_a')}`,
      '',
      `stack of first/${pidA}:`,
    ];
    // Lines with a site are patterns (the line numbers); the others are exact.
    expected.forEach((want, i) => (want.includes('\\') ? expect(lines[i]).toMatch(new RegExp(`^${want}$`)) : expect(lines[i]).toBe(want)));
    expect(lines[25]).toMatch(new RegExp(`^ ${at('take_a_then_b')}$`));
    expect(lines.at(-1)).toBe('='.repeat(title.length));
    // lockdep proper saw the AB-BA order first: that report is distinct, and came before.
    expect(run.reports[0]?.kind).toBe('circular');
  });

  it('a lost wake-up: the consumer blocked on a condition nobody notifies is a hung task, with its wait', async () => {
    await enableLockdep();
    const m = new Mutex({ name: 'queue_lock' });
    const c = new Condition({ name: 'queue_nonempty' });
    const run = await runLocks({
      scenario: 'lost_wakeup',
      threads: 2,
      iters: 3,
      locks: [m.handle, c.handle],
      lockdep: true,
      names: ['consumer', 'producer'],
      hungTaskTimeoutSecs: 1,
      until: (r) => r.some((x) => x.kind === 'hung_task'),
    });
    const hung = run.reports.filter((r) => r.kind === 'hung_task');
    expect(hung).toHaveLength(1);
    const lines = (hung[0]?.text ?? '').split('\n');
    const pid = /^INFO: task consumer:(\d+) blocked for more than \d+ seconds\.$/.exec(lines[0] ?? '')?.[1];
    expect(pid).toBeDefined();
    expect(lines.slice(1, 6)).toEqual([
      '      Not tainted user-program',
      '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
      `task:consumer        state:D stack:0     pid:${pid ?? ''}${' '.repeat(5 - (pid ?? '').length)} tgid:${pid ?? ''}${' '.repeat(5 - (pid ?? '').length)} ppid:0      flags:0x00000000`,
      'Call Trace:',
      ' <TASK>',
    ]);
    expect(lines[6]).toMatch(new RegExp(`^ condition ${SITE}$`));
    const end = lines.indexOf(' </TASK>');
    expect(lines.slice(end + 1)).toEqual([
      expect.stringMatching(new RegExp(String.raw`^ waiting [1-9]\d*s for: ffffffff8000000\d \(queue_nonempty\), at: condition ${SITE}$`)),
      ' held by: nothing (an event: only a wake-up ends this wait; none came: a lost wake-up?)',
      `no locks held by consumer/${pid ?? ''}.`,
    ]);
    expect(run.reports.filter((r) => r.kind !== 'hung_task')).toEqual([]);
  });

  it('an owner that ended holding the lock: lockdep says so at its exit, and its waiter is a hung task waiting for no thread', async () => {
    await enableLockdep();
    const m = new Mutex({ name: 'orphan_lock' });
    const run = await runLocks({
      scenario: 'owner_exit',
      threads: 2,
      iters: 1,
      locks: [m.handle],
      lockdep: true,
      names: ['owner', 'waiter'],
      hungTaskTimeoutSecs: 1,
      until: (r) => r.some((x) => x.kind === 'hung_task'),
    });
    const held = run.reports.find((r) => r.role === 0);
    expect(held?.text).toMatch(/^WARNING: owner\/\d+ still has locks held!$/m);
    expect(held?.text).toMatch(/^ #0: ffffffff8000000\d \(orphan_lock\)\{\+\.\+\.\}-\{3:3\}, at: main /m);
    const hung = run.reports.find((r) => r.kind === 'hung_task');
    expect(hung?.text).toMatch(/^INFO: task waiter:\d+ blocked for more than \d+ seconds\.$/m);
    expect(hung?.text).toMatch(new RegExp(String.raw`^ waiting \d+s for: ffffffff8000000\d \(orphan_lock\), at: main ${SITE}$`, 'm'));
    expect(hung?.text).toContain('\n held by: no thread (nobody holds it: a lost wake-up, or an owner that exited holding it)\n');
  });

  it('the unmodified scenarios stay clean with lockdep on (no report at all)', async () => {
    await enableLockdep();
    const m = new Mutex({ name: 'queue_lock' });
    const c = new Condition({ name: 'queue_nonempty' });
    const cond = await runLocks({ scenario: 'condition', threads: 2, iters: 2_000, locks: [m.handle, c.handle], lockdep: true, hungTaskTimeoutSecs: 1 });
    expect(cond.reports).toEqual([]);
    const ex = await runLocks({ scenario: 'exclusion', threads: 3, iters: 2_000, locks: [new Mutex({ name: 'counter_lock' }).handle], lockdep: true, hungTaskTimeoutSecs: 1 });
    expect(ex.reports).toEqual([]);
    expect(ex.results.map((r) => r.violations)).toEqual([0, 0, 0]);
  });

  it('withLockdep() gives async-mutexes a lockdep class (AB-BA reported); off, it returns the mutex itself', async () => {
    const plain = new AsyncMutex();
    expect(withLockdep(plain)).toBe(plain);
    const got: { kind: string; text: string }[] = [];
    await enableLockdep({ name: 'tester', onReport: (r) => got.push(r) });
    const a = withLockdep(new AsyncMutex(), { name: 'amutex_a' });
    const b = withLockdep(new AsyncMutex(), { name: 'amutex_b' });
    await a.runExclusive(() => b.runExclusive(() => 1));
    expect(got).toEqual([]);
    await b.runExclusive(() => a.runExclusive(() => 2));
    expect(got.map((r) => r.kind)).toEqual(['circular']);
    expect(got[0]?.text).toMatch(/^tester\/0 is trying to acquire lock:\nffffffff8000000\d \(amutex_a\)\{\+\.\+\.\}-\{3:3\}, at: /m);
    expect(a.isLocked() || b.isLocked()).toBe(false);
  });

  it('useLockdep() injects a lockdep attached by the caller (no dynamic import): the same reports', () => {
    const buf = createLockdepBuffer();
    const got: LockdepReport[] = [];
    useLockdep(buf, attachLockdep(buf, { name: 'injected', onReport: (r) => got.push(r) }));
    const a = new Mutex({ name: 'inj_a' });
    const b = new Mutex({ name: 'inj_b' });
    expect(a.handle.lockdep).toBe(buf);
    a.withLock(() => b.withLock(() => 0));
    b.withLock(() => a.withLock(() => 0));
    expect(got.map((r) => r.kind)).toEqual(['circular']);
  });

  it('TORTURE_LOCKDEP=1 switches lockdep on in every thread without code: the example deadlocks and says so', async () => {
    const child = spawn(process.execPath, [path.join(here, 'examples', 'deadlock.mjs')], { env: { ...process.env, TORTURE_LOCKDEP: '1' } });
    let err = '';
    const done = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const cap = setTimeout(() => reject(new Error(`no DEADLOCK report in 30 s; stderr: ${err}`)), 30_000);
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (t: string) => {
        err += t;
        // The report is complete at its closing rule, after the two stacks.
        if (/stack of worker-\d+\/\d+:\n(.*\n)*=+\n/.test(err.slice(err.indexOf('DEADLOCK:')))) {
          clearTimeout(cap);
          resolve();
        }
      });
    }).finally(() => child.kill());
    await done;
    expect(err.indexOf('WARNING: possible circular locking dependency detected')).toBeGreaterThanOrEqual(0);
    expect(err.indexOf('DEADLOCK: 2 threads blocked in a wait-for cycle')).toBeGreaterThan(err.indexOf('WARNING: possible circular'));
    expect(err).toMatch(/^worker-\d+\/\d+ is blocked on lock:\nffffffff8000000\d \(lock_b\), at: take_a_then_b \(harness\/locks\/examples\/deadlock\.mjs:\d+\)$/m);
    expect(err).toMatch(/^worker-\d+\/\d+ is blocked on lock:\nffffffff8000000\d \(lock_a\), at: take_b_then_a \(harness\/locks\/examples\/deadlock\.mjs:\d+\)$/m);
  });
});
