/*
 * The Tasks RCU family: the per-CPU queue geometry (in process), then rcutorture in real guests
 * (worker-thread CPUs, compiled dist/): each flavour passes unmodified, with its quirks (no polled
 * primitives, no barrier test for tasks-rude), and the two planted bugs are caught by rcutorture's
 * pipe check: `rcupdate.test_broken_tasks=1` (a preemption taken for a quiescent state) and
 * `rcupdate.test_broken_tasks_trace=1` (a reader that is not running is not waited for).
 */
import { describe, expect, it } from 'vitest';
import { runGuestUntil } from '../../harness/test_support/run_until.js';
import { tasks_enqueue_geometry } from './tasks.js';

/** TASKS01, RUDE01, TRACE02's shape: 4 CPUs, preemptible, hotplug. */
const KCONFIG = { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '4', CONFIG_HOTPLUG_CPU: 'y', CONFIG_PREEMPT: 'y' };

function boot(type: string, secs: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'rcutorture.torture_type': type,
    'rcutorture.stat_interval': '2',
    'rcutorture.shutdown_secs': String(secs),
    'rcutorture.onoff_interval': '100',
    'rcutorture.onoff_holdoff': '1',
    'rcutorture.n_barrier_cbs': '2',
    ...extra,
  };
}

function lastPipe(console: string): number[] {
  const lines = console.split('\n').filter((l) => l.includes('Reader Pipe:'));
  const last = lines[lines.length - 1] ?? '';
  return (last.split('Reader Pipe:')[1] ?? '').trim().split(/\s+/).map(Number);
}

/** A coverage point's count in the guest's coverage block. */
function coverage(console: string, name: string): number {
  const m = new RegExp(`coverage: ${name.replace('.', '\\.')} (\\d+)`).exec(console);
  return Number(m?.[1] ?? -1);
}

/** The writer's last `ver:`. */
function versions(console: string): number {
  const all = [...console.matchAll(/ ver: (\d+) /g)];
  return Number(all[all.length - 1]?.[1] ?? 0);
}

describe('cblist_init_generic(): the per-CPU callback queues', () => {
  it('rcu_task_enqueue_lim gives the queue count and the CPU shift, as the kernel computes them', () => {
    expect(tasks_enqueue_geometry(4, -1)).toEqual({ lim: 1, shift: 2 }); // default: one queue
    expect(tasks_enqueue_geometry(4, 0)).toEqual({ lim: 1, shift: 2 });
    expect(tasks_enqueue_geometry(4, 4)).toEqual({ lim: 4, shift: 0 }); // TASKS01: a queue per CPU
    expect(tasks_enqueue_geometry(5, 2)).toEqual({ lim: 2, shift: 2 }); // TRACE01: CPUs 0-3, then 4
    expect(tasks_enqueue_geometry(3, 8)).toEqual({ lim: 3, shift: 0 }); // capped at the CPUs
    expect(tasks_enqueue_geometry(8, 3)).toEqual({ lim: 3, shift: 2 });
  });
});

/** Runs: 8 s, twice as long up to 32 s until the event the test expects. */
const UNTIL = { fromSec: 8, capSec: 32 };

describe('the Tasks RCU family under rcutorture', { timeout: 240_000 }, () => {
  it('tasks and tasks-rude pass, with their quirks; Tasks RCU holds preempted tasks out', async () => {
    const [tasks, rude] = await Promise.all([
      runGuestUntil(
        (secs) => ({ suite: 'rcu', nrCpus: 4, kconfig: KCONFIG, bootParams: boot('tasks', secs, { 'rcutorture.gp_poll': '1', 'rcutorture.gp_sync': '1', 'rcupdate.rcu_task_enqueue_lim': '4' }), durationSec: secs }),
        (r) => versions(r.console) > 10,
        UNTIL,
      ),
      runGuestUntil((secs) => ({ suite: 'rcu', nrCpus: 3, kconfig: { ...KCONFIG, CONFIG_NR_CPUS: '3' }, bootParams: boot('tasks-rude', secs), durationSec: secs }), (r) => versions(r.console) > 10, UNTIL),
    ]);
    const t = tasks.console;
    expect(t).toContain('rcu_torture_write_types: gp_poll without primitives.');
    expect(t).toContain('tasks-torture:--- End of test: SUCCESS');
    expect(t).toMatch(/tasks: {2}End-test grace-period state: g\d+ f0 total-gps=\d+/);
    expect(lastPipe(t).slice(2).every((v) => v === 0)).toBe(true);
    expect(coverage(t, 'rcu.tasks_holdout')).toBeGreaterThan(0);
    const r = rude.console;
    expect(r).toContain('tasks-rude-torture: Call or barrier ops missing for tasks-rude,');
    expect(r).toContain('tasks-rude-torture: RCU barrier testing omitted from run.');
    expect(r).toContain('tasks-rude-torture:--- End of test: SUCCESS');
    expect(lastPipe(r).slice(2).every((v) => v === 0)).toBe(true);
    expect(coverage(r, 'rcu.tasks_rude_work')).toBeGreaterThan(0);
  });

  it('tasks-tracing passes, its readers checked by IPIs and reporting at their unlock', async () => {
    const run = await runGuestUntil((secs) => ({ suite: 'rcu', nrCpus: 4, kconfig: KCONFIG, bootParams: boot('tasks-tracing', secs), durationSec: secs }), (r) => versions(r.console) > 50, UNTIL);
    const c = run.console;
    expect(c).toContain('tasks-tracing-torture:--- End of test: SUCCESS');
    expect(lastPipe(c).slice(2).every((v) => v === 0)).toBe(true);
    expect(coverage(c, 'rcu.tasks_trace_ipi')).toBeGreaterThan(0);
    expect(coverage(c, 'rcu.tasks_trace_need_qs')).toBeGreaterThan(0);
  });

  it('catches Tasks RCU taking a preemption for a quiescent state (rcupdate.test_broken_tasks=1)', async () => {
    // One reader that never stutters: the most rcu_read_delay() long readers, preempted at each tick.
    const extra = { 'rcupdate.test_broken_tasks': '1', 'rcutorture.nreaders': '1', 'rcutorture.stutter': '0' };
    const run = await runGuestUntil(
      (secs) => ({ suite: 'rcu', nrCpus: 4, kconfig: KCONFIG, bootParams: boot('tasks', secs, extra), durationSec: secs }),
      (r) => r.console.includes('tasks-torture: !!! Reader Pipe:'),
      UNTIL,
    );
    expect(run.console).toContain('rcu_tasks: test_broken_tasks: a preemption is taken for a quiescent state (planted bug)');
    expect(run.console).toContain('tasks-torture: !!! Reader Pipe:');
    expect(run.console).toContain('tasks-torture:--- End of test: FAILURE');
    expect(lastPipe(run.console).slice(2).some((v) => v > 0)).toBe(true);
  });

  it('catches Tasks Trace RCU not waiting for a reader that is not running (rcupdate.test_broken_tasks_trace=1)', async () => {
    const run = await runGuestUntil(
      (secs) => ({ suite: 'rcu', nrCpus: 4, kconfig: KCONFIG, bootParams: boot('tasks-tracing', secs, { 'rcupdate.test_broken_tasks_trace': '1' }), durationSec: secs }),
      (r) => r.console.includes('tasks-tracing-torture: !!! Reader Pipe:'),
      UNTIL,
    );
    expect(run.console).toContain('tasks-tracing-torture: !!! Reader Pipe:');
    expect(run.console).toContain('tasks-tracing-torture:--- End of test: FAILURE');
    expect(lastPipe(run.console).slice(2).some((v) => v > 0)).toBe(true);
  });
});
