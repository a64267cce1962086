/*
 * rcutorture end to end in real guests: the deliberately broken `busted` flavour must fail with
 * `!!!` and Reader Pipe counts beyond the second bucket; the output lines keep the kernel's shapes.
 */
import { describe, expect, it } from 'vitest';
import { runGuestUntil } from '../test_support/run_until.js';

describe('rcutorture', () => {
  it('BUSTED ends FAILURE with !!! and readers seeing elements two or more GPs old', { timeout: 180_000 }, async () => {
    // 8 s, longer until caught: the pipe check needs readers whose rcu_read_delay() spans a
    // replacement, a few per thousand reads, and a loaded 2-core host gives 3 readers only a few
    // thousand reads a second.
    const run = await runGuestUntil(
      (secs) => ({
        suite: 'rcu',
        nrCpus: 4,
        kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '4', CONFIG_PREEMPT: 'n', CONFIG_HOTPLUG_CPU: 'n' },
        bootParams: { 'rcutorture.torture_type': 'busted', 'rcutorture.stat_interval': '1', 'rcutorture.shutdown_secs': String(secs), 'rcutorture.stutter': '0' },
        durationSec: secs,
      }),
      (r) => r.console.includes('busted-torture: !!! Reader Pipe:') && r.console.includes('Too-short grace period'),
      { fromSec: 8, capSec: 32 },
    );
    const c = run.console;
    expect(c).toContain('busted-torture: !!! Reader Pipe:');
    expect(c).toContain('busted-torture:--- End of test: FAILURE: nreaders=3 nfakewriters=4 stat_interval=1');
    const last = c.split('\n').filter((l) => l.includes('Reader Pipe:')).pop() ?? '';
    const pipe = (last.split('Reader Pipe:')[1] ?? '').trim().split(/\s+/).map(Number);
    expect(pipe).toHaveLength(11);
    expect(pipe.slice(2).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(c).toContain('Too-short grace period');
  });

  it('prints the kernel-format start, stats, and end lines', { timeout: 120_000 }, async () => {
    // 2 s, longer until the stats kthread has printed (it sleeps stat_interval after Start of test).
    const run = await runGuestUntil(
      (secs) => ({
        suite: 'rcu',
        nrCpus: 2,
        kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '2', CONFIG_PREEMPT: 'n', CONFIG_HOTPLUG_CPU: 'y' },
        bootParams: { 'rcutorture.stat_interval': '1', 'rcutorture.shutdown_secs': String(secs), 'rcutorture.onoff_interval': '100', 'rcutorture.n_barrier_cbs': '2' },
        durationSec: secs,
      }),
      (r) => /rcu-torture: rtc: [0-9a-f]{16} /.test(r.console),
      { fromSec: 2, capSec: 16 },
    );
    const c = run.console;
    expect(c).toMatch(/rcu-torture:--- Start of test: nreaders=1 nfakewriters=4 stat_interval=1 .* n_barrier_cbs=2 onoff_interval=100 onoff_holdoff=0 read_exit_delay=13 read_exit_burst=16\n/);
    expect(c).toMatch(/rcu:  Start-test grace-period state: g-1200 f0/);
    expect(c).toMatch(
      /rcu-torture: rtc: [0-9a-f]{16} ver: \d+ tfle: [01] rta: \d+ rtaf: \d+ rtf: \d+ rtmbe: 0 rtmbkf: 0\/0 rtbe: 0 rtbke: 0 rtbf: 0 rtb: 0 nt: \d+ onoff: \d+\/\d+:\d+\/\d+ -?\d+,\d+:-?\d+,\d+ \d+:\d+ \(HZ=1000\) barrier: \d+\/\d+:0 read-exits: \d+ nocb-toggles: 0:0/,
    );
    expect(c).toMatch(/rcu-torture: Reader Pipe: ( \d+){11}\n/);
    expect(c).toMatch(/rcu-torture: Reader Batch: ( \d+){11}\n/);
    expect(c).toMatch(/rcu-torture: Free-Block Circulation: ( \d+){10} 0\n/);
    expect(c).toMatch(/rcu-torture: rtc: \(null\) VER: \d+/);
    expect(c).toMatch(/rcu:  End-test grace-period state: g-?\d+ f\S+ total-gps=\d+/);
    expect(c).toContain('rcu-torture:--- End of test: SUCCESS: nreaders=1');
  });
});
