import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../guest/run_guest.js';
import { runTestGuest } from '../test_support/run_until.js';

/** The end of a console, for assertion messages. */
function tail(console: string): string {
  return `console tail:\n${console.split('\n').slice(-40).join('\n')}`;
}

const BLOCKED = /INFO: task (\S+):(\d+) blocked for more than (\d+) seconds\./;

describe('hung tasks and lockups (kernel/hung_task.c, kernel/watchdog.c)', () => {
  it('a wait_event() whose wake_up() is missing is a hung task, though its CPU is rung all the time', async () => {
    const modules = [distModuleUrl('harness/cpu/test_support/lost_wakeup')];
    const [bad, good] = await Promise.all([
      runTestGuest({ nrCpus: 2, durationSec: 30, bootParams: { 'lost_wakeup_test.missing': '1' }, modules }),
      runTestGuest({ nrCpus: 2, durationSec: 30, modules }),
    ]);
    const m = BLOCKED.exec(bad.console);
    expect(m?.[1], tail(bad.console)).toBe('lost_wakeup_wai');
    expect(Number(m?.[3])).toBeGreaterThanOrEqual(10); // hung_task_timeout_secs defaults to 10
    expect(bad.console).toContain('"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.');
    expect(bad.console).toMatch(/task:lost_wakeup_wai state:D stack:0 +pid:\d+ +tgid:\d+ +ppid:2 +flags:0x[0-9a-f]{8}/);
    // The stack where it sleeps, then every lock held in the system.
    expect(bad.console).toMatch(/Call Trace:\n.*<TASK>\n.* lost_wakeup_waiter \(harness\/cpu\/test_support\/lost_wakeup\.ts:\d+\)/);
    expect(bad.console).toContain('Showing all locks held in the system:');
    // The ticker on the same CPU was woken hundreds of times; the interruptible sleeper is not reported.
    expect(bad.console).not.toMatch(/INFO: task lost_wakeup_tic/);
    expect(bad.result?.end).toBe('hang');
    expect(bad.code).toBe(1);
    expect(good.console, tail(good.console)).toContain('lost_wakeup: waiter woken');
    expect(good.console).not.toMatch(BLOCKED);
    expect(good.code).toBe(0);
  });

  it('one report lists the hung tasks of every executor, each with its stack, then the locks, then the panic', async () => {
    // Two waiters of the lost wake-up on CPUs 0 and 2: each executor's khungtaskd finds only its
    // own, publishes its stack, and the one that reports waits for the other's (khungtaskd.ts).
    const run = await runTestGuest({
      nrCpus: 3,
      durationSec: 40,
      bootParams: { 'lost_wakeup_test.missing': '1', 'lost_wakeup_test.second_waiter': '2' },
      modules: [distModuleUrl('harness/cpu/test_support/lost_wakeup')],
    });
    const c = run.console;
    expect(run.result?.end, tail(c)).toBe('hang');
    const blocks = [...c.matchAll(/INFO: task (\S+):(\d+) blocked for more than (\d+) seconds\./g)];
    expect(blocks.map((m) => m[1]).sort(), tail(c)).toEqual(['lost_wakeup_wa2', 'lost_wakeup_wai']);
    // In pid order, as the kernel walks its task list.
    const pids = blocks.map((m) => Number(m[2]));
    expect(pids).toEqual([...pids].sort((a, b) => a - b));
    // Each with its own stack, published across executors (lost_wakeup_wa2's is an anonymous kthread body in boot()).
    expect(c).toMatch(/INFO: task lost_wakeup_wai:\d+ [^\n]*\n(.*\n){3}.*Call Trace:\n.*<TASK>\n.* lost_wakeup_waiter \(harness\/cpu\/test_support\/lost_wakeup\.ts:\d+\)/);
    expect(c).toMatch(/INFO: task lost_wakeup_wa2:\d+ [^\n]*\n(.*\n){3}.*Call Trace:\n.*<TASK>\n.* \(harness\/cpu\/test_support\/lost_wakeup\.ts:\d+\)/);
    // One report: both blocks before the one held-locks dump and the one panic line.
    const locksAt = c.indexOf('Showing all locks held in the system:');
    expect(locksAt).toBeGreaterThan(c.lastIndexOf('INFO: task '));
    expect(c.split('Showing all locks held in the system:')).toHaveLength(2);
    expect(c.split('Kernel panic - not syncing: hung_task: blocked tasks')).toHaveLength(2);
    expect(c.indexOf('Kernel panic - not syncing: hung_task: blocked tasks')).toBeGreaterThan(locksAt);
  });

  it('kthread_stop() of a kthread that never exits: the stopper is a hung task naming the kthread, its lock and the holder', async () => {
    const modules = [distModuleUrl('harness/cpu/test_support/kthread_stop_stuck')];
    const [bad, good] = await Promise.all([
      runTestGuest({ nrCpus: 2, durationSec: 30, bootParams: { 'kthread_stop_stuck.hold': '1', hung_task_timeout_secs: '3' }, modules }),
      runTestGuest({ nrCpus: 2, durationSec: 30, bootParams: { hung_task_timeout_secs: '3' }, modules }),
    ]);
    // Its own block among the report's (the worker it waits for may be hung too, and comes first in pid order).
    const m = /INFO: task (kstop_stopper):(\d+) blocked for more than (\d+) seconds\./.exec(bad.console);
    expect(m?.[1], tail(bad.console)).toBe('kstop_stopper');
    expect(Number(m?.[3])).toBeGreaterThanOrEqual(3);
    expect(bad.console).toMatch(/task:kstop_stopper +state:D /);
    // wait_for_completion(&kthread->exited) in kthread_stop(): the stopper's own frame.
    expect(bad.console).toMatch(/Call Trace:\n.*<TASK>\n.* kthread_stop \(kernels\/kthread\.ts:\d+\)\n.* \(harness\/cpu\/test_support\/kthread_stop_stuck\.ts:\d+\)/);
    // Whom it waits for, what that kthread waits for, and who holds it.
    expect(bad.console).toMatch(/ waiting in kthread_stop\(\) for kstop_worker\/(\d+) to exit; it has not:\n.* task:kstop_worker +state:D /);
    expect(bad.console).toMatch(/ {2}waiting \d+s for lock: [0-9a-f]+ \(kstop_mutex\)\n.* {2}held by: kstop_holder\/\d+ on CPU \d+ \(blocked\)/);
    expect(bad.console).toContain('Showing all locks held in the system:');
    expect(bad.console).toMatch(/1 lock held by kstop_holder\/\d+:/);
    expect(bad.console).toContain('Kernel panic - not syncing: hung_task: blocked tasks');
    expect(bad.result?.end).toBe('hang');
    expect(bad.code).toBe(1);
    expect(good.console, tail(good.console)).toContain('kthread_stop_stuck: worker stopped');
    expect(good.console).not.toMatch(BLOCKED);
    expect(good.code).toBe(0);
  });

  it('a mutex unlock that sometimes skips its wake-up (mutex.test_lost_wakeup): hung writers in __mutex_lock_slowpath', async () => {
    const run = await runTestGuest({
      nrCpus: 4,
      durationSec: 30,
      kconfig: { CONFIG_PREEMPT: 'y' },
      bootParams: { 'locktorture.torture_type': 'mutex_lock', 'locktorture.shutdown_secs': '30', 'locktorture.stat_interval': '5', 'locktorture.long_hold': '1', 'mutex.test_lost_wakeup': '2' },
    });
    // A writer's block among the report's (cleanup's kthread_stop() of it may be hung too).
    const m = /INFO: task (lock_torture_wr):\d+ blocked for more than \d+ seconds\./.exec(run.console);
    expect(m?.[1], tail(run.console)).toBe('lock_torture_wr');
    expect(run.console).toMatch(/Call Trace:\n.*<TASK>\n.* __mutex_lock_slowpath \(kernels\/locking\/mutex\.ts:\d+\)\n.* mutex_lock \(kernels\/locking\/mutex\.ts:\d+\)/);
    // The lost wake-up strands its waiter for good, while other writers may still take the mutex on
    // its fast path: at the moment of the report it is free or held by one of them.
    expect(run.console).toMatch(/waiting \d+s for lock: [0-9a-f]+ \(torture_mutex\)\n.*held by: (no task|lock_torture_wr\/\d+ on CPU \d+)/);
    expect(run.result?.end).toBe('hang');
    expect(run.code).toBe(1);
  });

  it('a percpu_rwsem writer that wakes waiters before it releases (percpu_rwsem.test_early_wake): LOCK06 ends in a hung task on pcpu_rwsem held by no task', async () => {
    const run = await runTestGuest({
      nrCpus: 4,
      durationSec: 30,
      kconfig: { CONFIG_PREEMPT: 'y', CONFIG_PROVE_LOCKING: 'y' },
      bootParams: { 'locktorture.torture_type': 'percpu_rwsem_lock', 'locktorture.shutdown_secs': '30', 'locktorture.stat_interval': '5', 'percpu_rwsem.test_early_wake': '1', hung_task_timeout_secs: '3' },
    });
    // Stranded readers or writers, and cleanup's kthread_stop() of one: every block is one of them.
    const comms = [...run.console.matchAll(new RegExp(BLOCKED, 'g'))].map((x) => x[1]);
    expect(comms.length, tail(run.console)).toBeGreaterThan(0);
    for (const c of comms) expect(c, tail(run.console)).toMatch(/^(lock_torture_wr|lock_torture_rd|torture_shutdow)$/);
    expect(run.console).toMatch(/waiting \d+s for lock: [0-9a-f]+ \(pcpu_rwsem\)\n.*held by: no task \(nobody holds it: a lost wake-up, or an owner that died\)/);
    expect(run.console).toContain('Kernel panic - not syncing: hung_task: blocked tasks');
    expect(run.result?.end).toBe('hang');
    expect(run.code).toBe(1);
  });

  it('a spinlock unlock that sometimes skips its kick (spinlock.test_lost_kick): soft lockup of the halted CPU', async () => {
    const run = await runTestGuest({
      nrCpus: 4,
      durationSec: 30,
      kconfig: { CONFIG_PREEMPT: 'y' },
      bootParams: { 'locktorture.torture_type': 'spin_lock', 'locktorture.shutdown_secs': '30', 'locktorture.stat_interval': '5', 'spinlock.test_lost_kick': '10' },
    });
    expect(run.console, tail(run.console)).toMatch(/watchdog: BUG: soft lockup - CPU#\d+ stuck for (2\d)s! \[lock_torture_wr:\d+\]/);
    // Halted since the lost kick, while the lock went on changing hands (its holder right now, if any, is printed).
    expect(run.console).toMatch(/halted in pv_wait\(\) for \d+s on spinlock [0-9a-f]+ \(torture_spinlock\)\n.*held by: (no task|lock_torture_wr\/\d+ on CPU \d+)/);
    expect(run.result?.end).toBe('oops');
    expect(run.code).toBe(1);
  });

  it('a run-token hand-off that forgets to serve the next ticket (sched.test_lost_token): the run-token watchdog names the CPU and its waiters', async () => {
    const run = await runTestGuest({
      nrCpus: 4,
      durationSec: 40,
      kconfig: { CONFIG_PREEMPT: 'y' },
      // Shuffling every second makes executors queue for other CPUs' tokens: hand-offs happen.
      bootParams: { 'locktorture.torture_type': 'mutex_lock', 'locktorture.shutdown_secs': '40', 'locktorture.stat_interval': '5', 'locktorture.shuffle_interval': '1', watchdog_thresh: '2', 'sched.test_lost_token': '5' },
    });
    const m = /watchdog: BUG: run token of CPU#(\d+) stuck for (\d+)s!/.exec(run.console);
    expect(m, tail(run.console)).not.toBeNull();
    // Twice watchdog_thresh without the token moving, and the report explains it: the token is
    // free, executors queue for it, and the ticket being served is not any of theirs.
    expect(Number(m?.[2])).toBeGreaterThanOrEqual(4);
    expect(run.console).toContain('Run tokens:');
    expect(run.console).toMatch(new RegExp(`\\] +CPU ${m?.[1]}: run token free, [1-9]\\d* waiting \\(executors? [\\d# ]+; serving \\d+ next \\d+\\)`));
    expect(run.console).toContain('Kernel panic - not syncing: softlockup: hung tasks');
    // The CPU itself is not reported as a soft lockup: no executor holds it, so nothing runs there.
    expect(run.console).not.toMatch(new RegExp(`soft lockup - CPU#${m?.[1]} stuck`));
    expect(run.result?.end).toBe('oops');
    expect(run.code).toBe(1);
  });
});
