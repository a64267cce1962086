import { describe, expect, it } from 'vitest';
import type { GuestRun, RunGuestOptions } from '../guest/run_guest.js';
import { runGuestUntil, runTestGuest } from '../test_support/run_until.js';

/** 6.12's lock_torture_print_module_parms() without what is refused here (call_rcu_chains). */
const START =
  /^\[[ \d.]+\] (\w+)-torture:--- Start of test: acq_writer_lim=-?\d+ bind_readers=[\d,-]+ bind_writers=[\d,-]+ long_hold=\d+ nested_locks=\d+ nreaders_stress=\d+ nwriters_stress=\d+ onoff_holdoff=\d+ onoff_interval=\d+ rt_boost=\d rt_boost_factor=\d+ shuffle_interval=\d+ shutdown_secs=\d+ stat_interval=\d+ stutter=\d+ verbose=\d+ writer_fifo=\d$/m;
const WRITES = /-torture: Writes: {2}Total: (\d+) {2}Max\/Min: (\d+)\/(\d+) (\?\?\?)? {2}Fail: (\d+) (!!!)?/g;

function lastWrites(console: string): { total: number; fail: number; line: string } {
  const all = [...console.matchAll(WRITES)];
  const m = all.at(-1);
  if (m === undefined) throw new Error(`no Writes line in:\n${console}`);
  return { total: Number(m[1]), fail: Number(m[5]), line: m[0] };
}

/** The end of a console, for assertion messages. */
function tail(console: string): string {
  return `console tail:\n${console.split('\n').slice(-40).join('\n')}`;
}

function boot(type: string, secs: number, extra: Record<string, string> = {}): Record<string, string> {
  return { 'locktorture.torture_type': type, 'locktorture.shutdown_secs': String(secs), 'locktorture.stat_interval': '2', ...extra };
}

/** The last onoff line of spin_lock, parsed: [1] offline successes, [3] online successes. */
function lastOnoff(console: string): RegExpExecArray | null {
  const lastLine = console.split('\n').filter((l) => l.includes('-torture: onoff:')).at(-1) ?? '';
  return /spin_lock-torture: onoff: (\d+)\/(\d+):(\d+)\/(\d+) -?\d+,\d+:-?\d+,\d+ \d+:\d+ \(HZ=1000\) $/.exec(lastLine);
}

/** Writers (and with `reads`, readers) made progress: the event a clean run waits for. */
function worked(run: GuestRun, reads = false): boolean {
  const w = [...run.console.matchAll(WRITES)].at(-1);
  return w !== undefined && Number(w[1]) > 0 && (!reads || /Reads : {2}Total: [1-9]/.test(run.console));
}

/** A guest of `make(secs)` (secs: shutdown_secs; the guest's duration one more) until `saw`: 4 s, up to 16 s. */
function lockGuestUntil(make: (secs: number) => RunGuestOptions, saw: (run: GuestRun) => boolean, fromSec = 4): Promise<GuestRun> {
  return runGuestUntil((secs) => ({ ...make(secs), durationSec: secs + 1 }), saw, { fromSec, capSec: 16 });
}

describe('locktorture in a real guest', { timeout: 180_000 }, () => {
  it('spin_lock with CPU hotplug: CPUs go off and on, Fail: 0, End of test: SUCCESS', async () => {
    const run = await lockGuestUntil(
      (secs) => ({
        nrCpus: 4,
        kconfig: { CONFIG_HOTPLUG_CPU: 'y', CONFIG_PREEMPT: 'y' },
        bootParams: boot('spin_lock', secs, { 'locktorture.onoff_interval': '100', 'locktorture.onoff_holdoff': '1' }),
      }),
      // Until the last onoff line counts a CPU gone offline and one back online.
      (r) => Number(lastOnoff(r.console)?.[1]) > 0 && Number(lastOnoff(r.console)?.[3]) > 0,
      5,
    );
    expect(run.console).toMatch(START);
    const w = lastWrites(run.console);
    expect(w.total).toBeGreaterThan(0);
    expect(w.fail).toBe(0);
    // The Writes line is exactly the kernel's format (nothing appended); onoff has its own line.
    expect(w.line.length).toBeGreaterThan(0);
    const writesLines = run.console.split('\n').filter((l) => l.includes('Writes:  Total:'));
    for (const l of writesLines) expect(l).toMatch(/ {2}Fail: \d+ (!!!)?$/);
    const onoff = lastOnoff(run.console);
    expect(Number(onoff?.[1])).toBeGreaterThan(0);
    expect(Number(onoff?.[3])).toBeGreaterThan(0);
    expect(run.console).toMatch(/spin_lock-torture:--- End of test: SUCCESS: acq_writer_lim=0 bind_readers=0-3 bind_writers=0-3 long_hold=100 nested_locks=0 nreaders_stress=0 nwriters_stress=8 /);
    expect(run.code).toBe(0);
  });

  it('lock_busted (BUSTED) is caught: Fail with !!! and End of test: FAILURE', async () => {
    const run = await lockGuestUntil((secs) => ({ nrCpus: 4, bootParams: boot('lock_busted', secs) }), (r) => / {2}Fail: [1-9]\d* !!!/.test(r.console));
    const w = lastWrites(run.console);
    expect(w.fail).toBe(1);
    expect(w.line).toContain('!!!');
    // WARN_ON_ONCE is once per guest, not once per CPU.
    expect(run.console.match(/WARNING: CPU: \d+ PID: \d+ at lock_torture_writer/g)?.length).toBe(1);
    expect(run.console).toMatch(/lock_busted-torture:--- End of test: FAILURE: /);
  });

  it('rw_lock and mutex_lock nested_locks=8 under lockdep: readers and writers, SUCCESS', async () => {
    const [rw, mutex] = await Promise.all([
      lockGuestUntil((secs) => ({ nrCpus: 4, kconfig: { CONFIG_PROVE_LOCKING: 'y', CONFIG_DEBUG_LOCK_ALLOC: 'y' }, bootParams: boot('rw_lock', secs) }), (r) => worked(r, true)),
      lockGuestUntil(
        (secs) => ({
          nrCpus: 4,
          kconfig: { CONFIG_PROVE_LOCKING: 'y', CONFIG_DEBUG_LOCK_ALLOC: 'y', CONFIG_PREEMPT: 'y' },
          bootParams: boot('mutex_lock', secs, { 'locktorture.nested_locks': '8' }),
        }),
        (r) => worked(r),
      ),
    ]);
    for (const run of [rw, mutex]) {
      const why = tail(run.console);
      expect(lastWrites(run.console).fail, why).toBe(0);
      expect(lastWrites(run.console).total, why).toBeGreaterThan(0);
      expect(run.console, why).toMatch(/End of test: SUCCESS/);
      expect(run.console, why).not.toMatch(/WARNING:|BUG:|possible circular/);
    }
    expect(rw.console, tail(rw.console)).toMatch(/rw_lock-torture: Reads : {2}Total: [1-9]\d* {2}Max\/Min: \d+\/\d+ (\?\?\?)? {2}Fail: 0 /);
    // PROVE_LOCKING selects DEBUG_SPINLOCK and DEBUG_MUTEXES: the kernel tags the line ` [debug]`.
    expect(rw.console).toMatch(/rw_lock-torture:--- Start of test \[debug\]: acq_writer_lim=/);
    expect(mutex.console).toMatch(/mutex_lock-torture:--- End of test: SUCCESS \[debug\]: acq_writer_lim=0 .* nested_locks=8 /);
  });

  it('rwsem_lock and percpu_rwsem_lock with hotplug: SUCCESS', async () => {
    const hp = { 'locktorture.onoff_interval': '100', 'locktorture.onoff_holdoff': '1' };
    const runs = await Promise.all(
      ['rwsem_lock', 'percpu_rwsem_lock'].map((t) =>
        lockGuestUntil((secs) => ({ nrCpus: 4, kconfig: { CONFIG_HOTPLUG_CPU: 'y', CONFIG_PROVE_LOCKING: 'y' }, bootParams: boot(t, secs, hp) }), (r) => worked(r, true)),
      ),
    );
    for (const run of runs) {
      const why = tail(run.console);
      expect(lastWrites(run.console).fail, why).toBe(0);
      expect(lastWrites(run.console).total, why).toBeGreaterThan(0);
      expect(run.console, why).toMatch(/Reads : {2}Total: [1-9]/);
      expect(run.console, why).toMatch(/End of test: SUCCESS: /);
    }
  });

  it('bind_writers keeps the writers on their CPUs; acq_writer_lim warns of a slow acquisition; LOCK_STAT writes lock_stat', async () => {
    const [bound, slow] = await Promise.all([
      // Two spin_lock writers bound to CPU 0 of 2: a holder keeps preemption off, so the other
      // never runs while it holds and the slow path is never taken; unbound they contend.
      lockGuestUntil((secs) => ({ nrCpus: 2, bootParams: boot('spin_lock', secs, { 'locktorture.nwriters_stress': '2', 'locktorture.bind_writers': '0' }) }), (r) => worked(r)),
      // A mutex whose holder sleeps long_hold * 5 ms now and then: a waiter's acquisition takes longer than 1 jiffy.
      lockGuestUntil(
        (secs) => ({
          nrCpus: 4,
          kconfig: { CONFIG_LOCK_STAT: 'y' },
          bootParams: boot('mutex_lock', secs, { 'locktorture.long_hold': '1', 'locktorture.acq_writer_lim': '1' }),
        }),
        (r) => /Lock acquisition took/.test(r.console),
      ),
    ]);
    expect(bound.console, tail(bound.console)).toMatch(/bind_readers=0-1 bind_writers=0 /);
    expect(bound.console, tail(bound.console)).toMatch(/coverage: spin\.slowpath 0 /);
    expect(bound.console).toMatch(/End of test: SUCCESS/);
    // WARN_ONCE(): one splat, the kernel's message.
    expect(slow.console.match(/lock_torture_writer: Lock acquisition took \d+ jiffies\./g)?.length, tail(slow.console)).toBe(1);
    expect(slow.console).toMatch(/WARNING: CPU: \d+ PID: \d+ at lock_torture_writer/);
    const { parseLockStat } = await import('../formats/lock_stat.js');
    const { readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const classes = parseLockStat(readFileSync(path.join(slow.resdir, 'lock_stat'), 'utf8'));
    const m = classes?.find((c) => c.name === 'torture_mutex');
    expect(m?.writeHold.nr).toBeGreaterThan(0);
    // The acquisition that took over a jiffy waited: a contention with a wait of over 1 ms.
    expect(m?.writeWait.max).toBeGreaterThan(1_000_000);
    expect(m?.contentionPoints.length).toBeGreaterThan(0);
  });

  it('an unknown torture_type is refused with the kernel message and the guest ends', async () => {
    const run = await runTestGuest({ nrCpus: 2, durationSec: 5, bootParams: boot('no_such_lock', 4) });
    expect(run.console).toContain('lock-torture: invalid torture type: "no_such_lock"');
    expect(run.killed).toBe(false);
  });
});
