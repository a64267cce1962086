import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGuestUntil, runTestGuest } from '../test_support/run_until.js';
import { validateOpsModule } from './ops_check.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';
import { rejectionOf } from '../test_support/error_of.js';

function examplesDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const inDist = here.split(path.sep).includes('dist');
  const root = inDist ? path.resolve(here, '..', '..', '..') : path.resolve(here, '..', '..');
  return path.join(root, 'configs', 'lock', 'examples');
}

const example = (f: string): string => path.join(examplesDir(), f);

function userBoot(file: string, secs: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'locktorture.torture_type': 'user',
    'locktorture.ops_module': file,
    'locktorture.shutdown_secs': String(secs),
    'locktorture.stat_interval': '2',
    ...extra,
  };
}

async function validationError(source: string | null, name = 'bad.mjs'): Promise<string> {
  const dir = makeTestTempDir('ops');
  const file = path.join(dir, name);
  if (source !== null) writeFileSync(file, source);
  return (await rejectionOf(validateOpsModule(file), 'OPS_MODULE')).message;
}

describe('validateOpsModule()', () => {
  it('accepts the examples', async () => {
    for (const f of ['futex_lock.mjs', 'broken_tas.mjs', 'lost_wakeup.mjs', 'rw_spinlock.mjs']) {
      const ops = await validateOpsModule(example(f));
      expect(ops.name).toBe(f.replace('.mjs', ''));
    }
  });

  it('rejects unusable modules with one clear line', async () => {
    const cases: Array<[string | null, RegExp]> = [
      [null, /Cannot load lock ops module as '.*bad\.mjs' must be an importable ES module: current value is /],
      ['export default {', /must be an importable ES module/],
      ['export const x = 1;', /'export default \(or export ops\)' must be a lock-ops object: current value is undefined$/],
      ["export default { name: 7, sharedBytes: 4, init(){}, writeLock(){}, writeUnlock(){} };", /'name' must be a string of 1-32 characters \[a-z0-9_\]: current value is number 7/],
      ["export default { name: 'x', sharedBytes: -1, init(){}, writeLock(){}, writeUnlock(){} };", /'sharedBytes' must be an integer from 0 to 1048576: current value is number -1/],
      ["export default { name: 'x', sharedBytes: 4, init(){}, writeLock(){} };", /'writeUnlock' must be a function: current value is undefined$/],
      ["export default { name: 'x', sharedBytes: 4, init(){}, writeLock(){}, writeUnlock(){}, readLock(){} };", /'readUnlock' must be a function \(readLock and readUnlock come together\)/],
    ];
    for (const [src, re] of cases) {
      const msg = await validationError(src);
      expect(msg).toMatch(re);
      expect(msg).not.toContain('\n');
    }
  });
});

describe('user lock ops in a real guest', () => {
  it('correct futex and rw locks pass; a load-then-store test-and-set is caught as FAILURE', { timeout: 180_000 }, async () => {
    // 5 s, longer until the event each waits for: progress, or the broken lock caught.
    const until = (f: string, saw: RegExp) => runGuestUntil((secs) => ({ nrCpus: 4, durationSec: secs + 1, bootParams: userBoot(example(f), secs) }), (r) => saw.test(r.console), { fromSec: 5, capSec: 20 });
    const [good, bad, rw] = await Promise.all([
      until('futex_lock.mjs', /Writes: {2}Total: [1-9]/),
      until('broken_tas.mjs', /Fail: 1 !!!/),
      until('rw_spinlock.mjs', /Reads : {2}Total: [1-9]/),
    ]);
    expect(rw.console).toMatch(/user-torture: Reads : {2}Total: [1-9]\d* {2}Max\/Min: \d+\/\d+ (\?\?\?)? {2}Fail: 0 /);
    expect(rw.console).toMatch(/user-torture:--- End of test: SUCCESS: .* nreaders_stress=4 nwriters_stress=4 /);
    expect(good.console).toMatch(/user-torture: Writes: {2}Total: [1-9]\d* {2}Max\/Min: \d+\/\d+ (\?\?\?)? {2}Fail: 0 /);
    expect(good.console).toMatch(/user-torture:--- End of test: SUCCESS: /);
    expect(bad.console).toMatch(/user-torture: Writes: .*Fail: 1 !!!/);
    expect(bad.console).toMatch(/user-torture:--- End of test: FAILURE: /);
  });

  it('correct spinning locks pass under CONFIG_PREEMPT=y: a holder is never switched out for a spinner of its CPU', { timeout: 120_000 }, async () => {
    // A spinning user lock is held with preemption disabled (as spin_lock); otherwise a holder
    // preempted at a preemption point leaves a same-CPU spinner spinning forever (soft lockup).
    const dir = makeTestTempDir('ops');
    const tas = path.join(dir, 'good_tas.mjs');
    writeFileSync(
      tas,
      `let word = new Int32Array(1);
export default {
  name: 'good_tas',
  sharedBytes: 4,
  init(shared) { word = shared; },
  writeLock() { while (Atomics.compareExchange(word, 0, 0, 1) !== 0); },
  writeUnlock() { Atomics.store(word, 0, 0); },
};
`,
    );
    const kconfig = { CONFIG_PREEMPT: 'y', CONFIG_HOTPLUG_CPU: 'y' };
    const hotplug = { 'locktorture.onoff_interval': '100', 'locktorture.onoff_holdoff': '1' };
    const [w, rw] = await Promise.all([
      runTestGuest({ nrCpus: 4, durationSec: 5, kconfig, bootParams: userBoot(tas, 4, hotplug) }),
      // 4 s, longer until the readers got the lock.
      runGuestUntil((secs) => ({ nrCpus: 4, durationSec: secs + 1, kconfig, bootParams: userBoot(example('rw_spinlock.mjs'), secs) }), (r) => /Reads : {2}Total: [1-9]/.test(r.console), { fromSec: 4, capSec: 16 }),
    ]);
    for (const run of [w, rw]) {
      expect(run.console).not.toContain('soft lockup');
      expect(run.console).toMatch(/user-torture:--- End of test: SUCCESS: /);
      expect(run.code).toBe(0);
    }
    expect(rw.console).toMatch(/user-torture: Reads : {2}Total: [1-9]\d* /);
  });

  it('a user lock held after a sleeping acquisition survives a preempted long_hold busy-wait (CONFIG_PREEMPT=y)', { timeout: 180_000 }, async () => {
    // Every lock() returns a Promise, so every hold is preemptible (a mutex, not a spinlock), and
    // locktorture's long_hold mdelay() inside it is preempted at a tick. The stress kthread must
    // await that preemption: a delay that dropped it ran the writer on with no current task
    // (`Oops: Error: sleeping call outside task context` in cond_resched()).
    const dir = makeTestTempDir('ops');
    const sleepy = path.join(dir, 'sleepy_lock.mjs');
    writeFileSync(
      sleepy,
      `let word = new Int32Array(1);
export default {
  name: 'sleepy_lock',
  sharedBytes: 4,
  init(shared) { word = shared; },
  async writeLock() {
    while (Atomics.compareExchange(word, 0, 0, 1) !== 0) {
      const w = Atomics.waitAsync(word, 0, 1);
      if (w.async) await w.value;
    }
  },
  writeUnlock() { Atomics.store(word, 0, 0); Atomics.notify(word, 0, 1); },
};
`,
    );
    const kconfig = { CONFIG_PREEMPT: 'y' };
    // One writer: a long hold at 1 in 2000 acquisitions. Until three long holds ended, or the Oops.
    const holds = (c: string): number => c.split('torture_spin_lock_write_delay: delay = ').length - 1;
    const run = await runGuestUntil(
      (secs) => ({ nrCpus: 2, durationSec: secs + 1, kconfig, bootParams: userBoot(sleepy, secs, { 'locktorture.nwriters_stress': '1', 'locktorture.long_hold': '1' }) }),
      (r) => holds(r.console) >= 3 || r.console.includes('Oops'),
      { fromSec: 4, capSec: 32 },
    );
    expect(run.console).not.toContain('Oops');
    expect(holds(run.console)).toBeGreaterThanOrEqual(3);
    expect(run.console).toMatch(/user-torture:--- End of test: SUCCESS: /);
    expect(run.code).toBe(0);
  });

  it('torture --ops lost_wakeup.mjs on LOCK01 for 10 s exits 1 with a hung-task report (cleanup cannot stop the writers)', async () => {
    const results = makeTestTempDir('lost-wakeup-cli');
    const repo = path.resolve(examplesDir(), '..', '..', '..');
    const args = ['--torture', 'lock', '--configs', 'LOCK01', '--ops', example('lost_wakeup.mjs'), '--duration', '10s', '--results', results, '--datestamp', 'run'];
    const driver = spawn(process.execPath, [path.join(repo, 'bin', 'torture.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    driver.stdout.on('data', (b: Buffer) => (out += b.toString()));
    // The driver's own monitor bounds the run (duration + shutdown grace); no cap of ours is shorter.
    const code = await new Promise<number | null>((resolve) => driver.once('exit', (c) => resolve(c)));
    expect(code, out).toBe(1);
    expect(out).toMatch(/Guest problem: hang: /);
    const con = readFileSync(path.join(results, 'run', 'LOCK01', 'console.log'), 'utf8');
    expect(con).toMatch(/INFO: task (lock_torture_wr|torture_shutdow):\d+ blocked for more than \d+ seconds\./);
    expect(con).toContain('(user_lock_ops.lost_wakeup)');
    expect(con).toContain('Kernel panic - not syncing: hung_task: blocked tasks');
    expect(con).not.toContain('End of test: SUCCESS');
  }, 180_000);

  it('a lock that loses wake-ups is reported as a hang naming the waiter and the lock', async () => {
    const run = await runTestGuest({
      nrCpus: 4,
      durationSec: 20,
      bootParams: { ...userBoot(example('lost_wakeup.mjs'), 20), hung_task_timeout_secs: '2' },
    });
    // The elapsed time since the sleep began (hung_task.c prints that): at least the 2 s timeout, later on a loaded host.
    expect(run.console).toMatch(/INFO: task lock_torture_wr:\d+ blocked for more than [2-9] seconds\./);
    expect(run.console).toContain('(user_lock_ops.lost_wakeup)');
    expect(run.result?.end).toBe('hang');
    expect(run.code).toBe(1);
  });
});
