import { describe, expect, it } from 'vitest';
import { runTestGuest, untilSeen } from '../test_support/run_until.js';
import { firstValues, seededRandomState, torture_random } from './torture_random.js';

// --seed: every random stream derives from one seed (torture.random_seed). Two runs with one seed
// draw the same first values in every stream; another seed draws others.

describe('seeded random streams (pure)', () => {
  it('one seed and name give one stream; another seed or name another; the refresh is seeded too', () => {
    const a = seededRandomState(7, 'jitter/0');
    const b = seededRandomState(7, 'jitter/0');
    const draw = (s: typeof a, n: number): number[] => Array.from({ length: n }, () => torture_random(s));
    // 20001 draws cross two refreshes (every 10000 calls), which the kernel takes from local_clock().
    expect(draw(a, 20_001)).toEqual(draw(b, 20_001));
    expect(firstValues(seededRandomState(8, 'jitter/0'), 3)).not.toEqual(firstValues(seededRandomState(7, 'jitter/0'), 3));
    expect(firstValues(seededRandomState(7, 'jitter/1'), 3)).not.toEqual(firstValues(seededRandomState(7, 'jitter/0'), 3));
  });
});

/** `name -> first values` of every stream a guest made (torture.dump_random_streams=1). */
function streams(consoleText: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of consoleText.split('\n')) {
    const r = /torture: random stream (\S+) first: (.*)$/.exec(l);
    if (r !== null) m.set(r[1] ?? '', r[2] ?? '');
  }
  return m;
}

/** The kinds of stream a guest with hotplug and stutter draws from. */
const WANT = ['torture_onoff', 'torture_stutter', 'rcu_torture_rea@', 'rcu_torture_wri@', 'rcu_torture_fak@'] as const;

describe('seeded random streams in real guests', () => {
  it('rcutorture with hotplug and stutter: same seed, same first values in every stream; other seed, others', async () => {
    const guest = (seed: number, secs: number): ReturnType<typeof runTestGuest> =>
      runTestGuest({
        suite: 'rcu',
        nrCpus: 4,
        kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '4', CONFIG_HOTPLUG_CPU: 'y', CONFIG_PREEMPT: 'n' },
        bootParams: {
          'torture.random_seed': String(seed),
          'torture.dump_random_streams': '1',
          'rcutorture.onoff_interval': '100',
          'rcutorture.onoff_holdoff': '1',
          'rcutorture.stutter': '1',
          'rcutorture.stat_interval': '1',
          'rcutorture.shutdown_secs': String(secs),
        },
        durationSec: secs,
      });
    // All three guests until each has drawn from every kind of stream (under load the onoff and
    // stutter kthreads may not have run within 2 s); one duration for the three, so that they
    // start the same set of streams.
    const [a, b, c] = await untilSeen(
      (secs) => Promise.all([guest(7, secs), guest(7, secs), guest(8, secs)]),
      (runs) => runs.every((r) => WANT.every((w) => [...streams(r.console).keys()].some((n) => n.startsWith(w)))),
      { fromSec: 2, capSec: 16 },
    );
    const sa = streams(a.console);
    const sb = streams(b.console);
    const sc = streams(c.console);
    const names = [...sa.keys()].sort();
    for (const want of WANT) {
      expect(names.some((n) => n.startsWith(want)), `${want} in ${names.join(' ')}`).toBe(true);
    }
    expect([...sb.keys()].sort()).toEqual(names);
    for (const n of names) expect(sb.get(n), n).toBe(sa.get(n));
    expect([...sc.keys()].sort()).toEqual(names);
    for (const n of names) expect(sc.get(n), n).not.toBe(sa.get(n));
  }, 240_000);
});
