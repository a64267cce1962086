/*
 * The cases of the kernel's tools/testing/selftests/rcutorture/bin/srcu_lockdep.sh, on this
 * model: `rcutorture.test_srcu_lockdep=D0NL` for D in 0-1, test NN in 0-2 (SRCU, SRCU/mutex,
 * SRCU/rwsem), cycle length L in 1-3. srcu_lockdep.sh runs them on SRCU-P and wants every D=1 run
 * to fail and every D=0 run to succeed; here each runs in a 2-CPU guest with PROVE_LOCKING and
 * must print lockdep's report in the kernel's words (D=1: `possible recursive locking detected`
 * for synchronize_srcu() inside its own reader, `possible circular locking dependency detected`
 * otherwise) or none and `End of test: SUCCESS` (D=0).
 */
import { describe, expect, it } from 'vitest';
import { runGuestUntil } from '../test_support/run_until.js';
import type { GuestRun } from '../guest/run_guest.js';

const CASES: number[] = [];
for (const d of [0, 1]) for (const t of [0, 1, 2]) for (const c of [1, 2, 3]) CASES.push(d * 1000 + t * 10 + c);

const RECURSIVE = 'WARNING: possible recursive locking detected';
const CIRCULAR = 'WARNING: possible circular locking dependency detected';

/** What says the case ran to its end: its report (D=1), or its last step's line (D=0: every sync before it returned). */
function done(val: number, console: string): boolean {
  const d = Math.trunc(val / 1000);
  const t = Math.trunc(val / 10) % 100;
  const last = (val % 10) - 1;
  if (d === 1) return console.includes(RECURSIVE) || console.includes(CIRCULAR);
  const [l, u] = [['srcu_read_lock', 'srcu_read_unlock'], ['mutex_lock', 'mutex_unlock'], ['down_write', 'up_write']][t]!;
  return console.includes(`rcu_torture_init_srcu_lockdep: ${l}(${last}), ${u}(${last})`) && console.includes('End of test:');
}

function run(val: number): Promise<GuestRun> {
  // 2 s, longer until the case has run to its end: on a loaded host the scenario's grace periods
  // may outlast a short run.
  return runGuestUntil(
    (secs) => ({
      suite: 'rcu',
      nrCpus: 2,
      kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '2', CONFIG_PREEMPT: 'y', CONFIG_HOTPLUG_CPU: 'n', CONFIG_PROVE_LOCKING: 'y', CONFIG_DEBUG_LOCK_ALLOC: 'y' },
      bootParams: {
        'rcutorture.torture_type': 'srcud',
        'rcutorture.test_srcu_lockdep': String(val),
        'rcutorture.stat_interval': '1',
        'rcutorture.shutdown_secs': String(secs),
        'rcutorture.stutter': '0',
      },
      durationSec: secs,
    }),
    (r) => done(val, r.console),
    { fromSec: 2, capSec: 16 },
  );
}

describe('srcu_lockdep.sh cases (rcutorture.test_srcu_lockdep)', () => {
  it('every deadlock is reported by lockdep, every non-deadlock stays clean', { timeout: 600_000 }, async () => {
    const results = new Map<number, GuestRun>();
    // Three guests at a time: 18 guests one after another would cost a minute on an idle host.
    for (let i = 0; i < CASES.length; i += 3) {
      const batch = CASES.slice(i, i + 3);
      const runs = await Promise.all(batch.map(run));
      batch.forEach((v, k) => results.set(v, runs[k]!));
    }
    for (const [val, r] of results) {
      const c = r.console;
      const d = Math.trunc(val / 1000);
      const t = Math.trunc(val / 10) % 100;
      const l = val % 10;
      const what = ['SRCU', 'SRCU/mutex', 'SRCU/rwsem'][t];
      expect(c, String(val)).toContain(`rcu_torture_init_srcu_lockdep: test_srcu_lockdep = ${String(val).padStart(5, '0')}: ${what} ${l}-way ${d ? '' : 'non-'}deadlock.`);
      if (d === 0) {
        expect(c, String(val)).not.toContain('WARNING:');
        expect(c, String(val)).toContain('srcud-torture:--- End of test: SUCCESS');
      } else if (t === 0 && l === 1) {
        expect(c, String(val)).toContain('rcu_torture_init_srcu_lockdep: Expect hang.');
        expect(c, String(val)).toContain(RECURSIVE);
        expect(c, String(val)).toMatch(/is trying to acquire lock:\n.*\(srcu0\)\{.+\}-\{0:0\}, at: __synchronize_srcu/);
      } else {
        expect(c, String(val)).toContain(CIRCULAR);
        // The cycle closes at synchronize_srcu(), lock_sync(): the scenario's last line says sync.
        expect(c, String(val)).toMatch(/\] {3}sync\(srcu\d\);\n/);
      }
    }
  });
});
