/*
 * rcutorture's forward-progress tests, read-exit and the GP-kthread stall in real runs:
 *  - TINY01's cond_resched() loop lets the writer run (cver > 0 with gps 0, no WARN);
 *  - TREE05 with `rcutorture.fwd_progress=1` prints the kernel's forward-progress lines and ends
 *    SUCCESS; its `Start of test` names the kernel's print line less what is refused, in order;
 *    read-exit children are counted;
 *  - the planted `rcutorture.test_fwd_gp_stall=S` (the GP kthread stops during the flood) is
 *    caught by the flood's own check: the WARN, the GP kthread's state, `n_max_gps: 0`;
 *  - `rcutorture.test_fwd_oom=N` (memory for N flood callbacks) runs the OOM notifier, which
 *    warns, stops the flood and frees its callbacks;
 *  - FQS bursts and read-exit children run in a clean test; a flavour without ->fqs says why not;
 *  - `rcutorture.stall_gp_kthread=S` is reported: RCU's stall warning with the kthread starved
 *    (it slept in a GP's FQS wait) or rcutorture's writer stall (it slept between GPs);
 *  - SRCU-U (Tiny SRCU on one PREEMPT_NONE CPU): the flood's grace periods keep up, no WARN.
 */
import { describe, expect, it } from 'vitest';
import { parseConsole } from '../recheck/parse_console.js';
import { runGuestUntil, runTortureUntil, scenarioConsole } from '../test_support/run_until.js';
import { expectedPrintNames } from './test_support/rcu_torture_kernel_params.js';

const CR_LINE =
  /\] rcu_torture_fwd_prog_cr Duration \d+ barrier: \d+ pending -?\d+ n_launders: \d+ n_launders_sa: \d+ n_max_gps: (\d+) n_max_cbs: \d+ cver -?\d+ gps -?\d+ #online \d+\n/;
const HIST_LINE = /\] rcu_torture_fwd_cb_hist: Callback-invocation histogram 0 \(duration \d+ jiffies\):( \d+s\/10: \d+:-?\d+)+\n/;
const NR_LINE = /\] rcu_torture_fwd_prog_nr: 0 Duration \d+ cver (\d+) gps (\d+)\n/;

describe('rcutorture forward progress', () => {
  it('TREE05 with fwd_progress=1 prints the kernel lines and stays clean', { timeout: 300_000 }, async () => {
    const r = await runTortureUntil(
      ['--configs', 'TREE05', '--bootargs', 'rcutorture.fwd_progress=1 rcutorture.fwd_progress_holdoff=1'],
      (x) => NR_LINE.test(scenarioConsole(x, 'TREE05')),
      { fromSec: 20, capSec: 80 },
    );
    const c = scenarioConsole(r, 'TREE05');
    expect(r.code, r.out).toBe(0);
    expect(c).toContain('] rcu-torture: rcu_torture_fwd_progress task started\n');
    expect(c).toContain('] rcu_torture_fwd_prog: Starting forward-progress test 0\n');
    expect(c).toContain('] rcu_torture_fwd_prog_cr: Starting forward-progress test 0\n');
    expect(c).toMatch(/\] rcu_torture_fwd_prog_cr: Waiting for CBs: rcu_barrier\+0x0\/0x0\(\) 0\n/);
    expect(Number(CR_LINE.exec(c)?.[1])).toBe(100);
    expect(c).toMatch(HIST_LINE);
    const nr = NR_LINE.exec(c);
    expect(Number(nr?.[1]) > 0 || Number(nr?.[2]) >= 2).toBe(true);
    expect(c).toMatch(/\] rcu_torture_fwd_prog: tested [1-9]\d* tested_tries [1-9]\d*\n/);
    expect(c).not.toContain('WARNING:');
    expect(c).toMatch(/read-exits: [1-9]\d* nocb-toggles: 0:0\n/);
    const start = /rcu-torture:--- Start of test: (.*)\n/.exec(c)?.[1] ?? '';
    expect(start.split(' ').map((w) => w.split('=')[0])).toEqual(expectedPrintNames());
    expect(c).toContain('rcu-torture:--- End of test: SUCCESS:');
  });

  it('TINY01 (one CPU, PREEMPT_NONE): the writer runs during the cond_resched() loop', { timeout: 300_000 }, async () => {
    // Tiny's gps is always 0, so only the writer's versions (cver) show progress: they need the
    // tick to wake the writer from its timed sleep while the loop never sleeps (harness/cpu/README.md).
    const r = await runTortureUntil(
      ['--configs', 'TINY01', '--bootargs', 'rcutorture.fwd_progress_holdoff=5'],
      (x) => NR_LINE.test(scenarioConsole(x, 'TINY01')),
      { fromSec: 40, capSec: 120 },
    );
    const c = scenarioConsole(r, 'TINY01');
    const nr = NR_LINE.exec(c);
    expect(nr, c).not.toBeNull();
    expect(Number(nr?.[1])).toBeGreaterThan(0);
    expect(Number(nr?.[2])).toBe(0);
    expect(c).not.toContain('WARNING:');
  });

  it('the planted rcutorture.test_fwd_gp_stall is caught by the flood check', { timeout: 300_000 }, async () => {
    // The GP kthread sleeps 9 s from the flood's start, past its 8 s: no callback is laundered.
    // The stall warning and khungtaskd are moved out of the way, so the report is the flood's own.
    const r = await runTortureUntil(
      ['--configs', 'TREE05', '--bootargs', 'rcutorture.fwd_progress_holdoff=1 rcutorture.test_fwd_gp_stall=9 hung_task_timeout_secs=30 rcupdate.rcu_cpu_stall_timeout=20'],
      (x) => CR_LINE.test(scenarioConsole(x, 'TREE05')),
      { fromSec: 20, capSec: 80 },
    );
    const c = scenarioConsole(r, 'TREE05');
    expect(r.code).toBe(1);
    expect(c).toContain('] rcu_gp_torture_wait: Waiting 9000 jiffies\n');
    expect(c).toMatch(/\] WARNING: CPU: \d+ PID: \d+ at rcu_torture_fwd_prog_cr \(harness\/torture\/rcu_torture_fwd_prog\.ts:\d+\)\n/);
    expect(c).toMatch(/\] rcu: rcu_sched: wait state: RCU_GP_\w+ g-?\d+ f\S+\n.*\] rcu_torture_fwd_prog_cr Duration/);
    expect(Number(CR_LINE.exec(c)?.[1])).toBeLessThan(100);
    expect(c).not.toContain('detected stall');
  });

  it('a flood that runs out of memory (rcutorture.test_fwd_oom) backs off through the OOM notifier', { timeout: 300_000 }, async () => {
    const run = await runGuestUntil(
      (secs) => ({
        suite: 'rcu',
        nrCpus: 4,
        kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '4', CONFIG_PREEMPT: 'n', CONFIG_HOTPLUG_CPU: 'n' },
        bootParams: { 'rcutorture.fwd_progress_holdoff': '1', 'rcutorture.test_fwd_oom': '300', 'rcutorture.stat_interval': '2', 'rcutorture.shutdown_secs': String(secs) },
        durationSec: secs,
      }),
      (x) => x.console.includes('rcutorture_oom_notify returning after OOM processing.'),
      { fromSec: 8, capSec: 32 },
    );
    const c = run.console;
    expect(c).toMatch(/\] rcutorture_oom_notify invoked upon OOM during forward-progress testing\.\n.*\] WARNING: CPU: \d+ PID: \d+ at rcutorture_oom_notify /);
    expect(c).toMatch(/\] rcu_torture_fwd_cb_hist: Callback-invocation histogram 0 /);
    const first = c.slice(c.indexOf('invoked upon OOM'));
    const freed = [...first.matchAll(/\] rcutorture_oom_notify: Freed (\d+) RCU callbacks\.\n/g)].slice(0, 3).map((m) => Number(m[1]));
    expect(freed).toHaveLength(3);
    expect(freed.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(c).toContain('] rcutorture_oom_notify returning after OOM processing.\n');
    // The back-off kept the flood inside the model's memory: no callback list overflowed.
    expect(c).not.toContain('overflowed');
    // rcutorture's own count has no error (End of test: SUCCESS, as the kernel's); the warning fails the run.
    expect(c).toContain('rcu-torture:--- End of test: SUCCESS:');
    expect(parseConsole(c, 'console.log', 'OOM').badness.warnings).toBeGreaterThanOrEqual(1);
  });

  it('FQS bursts and read-exit run beside the test and it stays clean', { timeout: 300_000 }, async () => {
    const run = await runGuestUntil(
      (secs) => ({
        suite: 'rcu',
        nrCpus: 4,
        kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '4', CONFIG_PREEMPT: 'y', CONFIG_HOTPLUG_CPU: 'n' },
        bootParams: {
          'rcutorture.fqs_duration': '1000',
          'rcutorture.fqs_holdoff': '10',
          'rcutorture.fqs_stutter': '1',
          'rcutorture.read_exit_delay': '1',
          'rcutorture.read_exit_burst': '4',
          'rcutorture.stat_interval': '2',
          'rcutorture.shutdown_secs': String(secs),
        },
        durationSec: secs,
      }),
      (x) => /read-exits: (?:[89]|\d\d+) /.test(x.console),
      { fromSec: 6, capSec: 24 },
    );
    const c = run.console;
    expect(c).toMatch(/Start of test: .* irqreader=1 fqs_duration=1000 fqs_holdoff=10 fqs_stutter=1 shutdown_secs=\d+ .* read_exit_delay=1 read_exit_burst=4\n/);
    expect(c).toContain('rcu-torture: rcu_torture_fqs task started');
    expect(c).toContain('rcu-torture: rcu_torture_fqs is stopping');
    expect(c).toContain('rcu-torture: rcu_torture_read_exit: End of episode');
    expect(c).not.toContain('WARNING:');
    expect(c).toContain('rcu-torture:--- End of test: SUCCESS:');
  });

  it('a flavour without ->fqs prints why and runs none; busted runs no forward-progress test', { timeout: 300_000 }, async () => {
    const run = await runGuestUntil(
      (secs) => ({
        suite: 'rcu',
        nrCpus: 2,
        kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '2', CONFIG_PREEMPT: 'n', CONFIG_HOTPLUG_CPU: 'n' },
        bootParams: { 'rcutorture.torture_type': 'busted', 'rcutorture.fqs_duration': '1000', 'rcutorture.fqs_holdoff': '10', 'rcutorture.fwd_progress_holdoff': '1', 'rcutorture.shutdown_secs': String(secs) },
        durationSec: secs,
      }),
      (x) => x.console.includes('End of test:'),
      { fromSec: 2, capSec: 16 },
    );
    const c = run.console;
    expect(c).toContain('] rcu-torture: ->fqs NULL and non-zero fqs_duration, fqs disabled.\n');
    expect(c).toMatch(/busted-torture:--- Start of test: .* fqs_duration=0 fqs_holdoff=10 /);
    expect(c).not.toContain('rcu_torture_fqs task started');
    // fwd_progress (default 1) is off for busted, as the kernel's.
    expect(c).toContain('] busted-torture: rcu_torture_fwd_prog_init: Disabled, unsupported by RCU flavor under test\n');
    expect(c).not.toContain('rcu_torture_fwd_progress task started');
  });

  it('rcutorture.stall_gp_kthread is reported', { timeout: 300_000 }, async () => {
    const run = await runGuestUntil(
      (secs) => ({
        suite: 'rcu',
        nrCpus: 4,
        kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '4', CONFIG_PREEMPT: 'y', CONFIG_HOTPLUG_CPU: 'n' },
        bootParams: {
          'rcutorture.stall_gp_kthread': '6',
          'rcutorture.stall_cpu_holdoff': '1',
          'rcupdate.rcu_cpu_stall_timeout': '3',
          'rcutorture.stat_interval': '2',
          'rcutorture.shutdown_secs': String(secs),
        },
        durationSec: secs,
      }),
      (x) => x.console.includes('rcu_gp_torture_wait: Wait complete') && x.console.includes('rcu_torture_stall end.'),
      { fromSec: 14, capSec: 56 },
    );
    const c = run.console;
    expect(c).toContain('rcu-torture: rcu_torture_stall begin GP stall');
    expect(c).toContain('] rcu_gp_torture_wait: Waiting 6000 jiffies\n');
    const starved = /\] rcu: rcu_preempt kthread starved for \d+ jiffies! g-?\d+ f\S+ RCU_GP_WAIT_FQS\(5\) ->state=0x402 ->cpu=\d+\n/.test(c);
    const writer = /\?\?\? Writer stall state \w+\(\d+\) g-?\d+ f\S+ ->state 0x\d+ cpu \d+\n.*\] rcu: rcu_preempt: wait state: RCU_GP_WAIT_GPS/.test(c);
    expect(starved || writer, 'a starved-kthread stall warning or a writer stall').toBe(true);
    if (starved) expect(c).toMatch(/\] rcu: rcu_preempt kthread timer wakeup didn't happen for \d+ jiffies! g-?\d+ f\S+ RCU_GP_WAIT_FQS\(5\) ->state=0x402\n/);
    expect(parseConsole(c, 'console.log', 'GPSTALL').badness.stalls).toBeGreaterThanOrEqual(1);
  });

  it('SRCU-U (Tiny SRCU, 1 CPU, PREEMPT_NONE): the flood launders its callbacks, no WARN', { timeout: 300_000 }, async () => {
    // The flood only cond_resched()s; Tiny SRCU's grace periods run in the work kthread that its
    // call_srcu() wakes on the same CPU, so they keep up only if that wake-up sets need_resched.
    const floods = (x: string): number => x.split('] rcu_torture_fwd_prog_cr Duration ').length - 1;
    const r = await runTortureUntil(
      ['--configs', 'SRCU-U', '--bootargs', 'rcutorture.fwd_progress_holdoff=1'],
      (x) => floods(scenarioConsole(x, 'SRCU-U')) >= 2,
      { fromSec: 25, capSec: 80 },
    );
    const c = scenarioConsole(r, 'SRCU-U');
    expect(floods(c), c.slice(-3000)).toBeGreaterThanOrEqual(2);
    expect(c).not.toContain('WARNING:');
    expect(Number(CR_LINE.exec(c)?.[1])).toBe(100);
    expect(r.code, r.out).toBe(0);
  });
});
