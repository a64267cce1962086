/*
 * torture.time_scale: the plan of a scaled hold delay (pure), and in a real guest the rwsem
 * readers' `long_hold / 2` hold, which caps an unscaled run's reads and a scaled run passes.
 */
import { describe, expect, it } from 'vitest';
import type { GuestRun } from '../guest/run_guest.js';
import { runGuestUntil } from '../test_support/run_until.js';
import { torture_delay_plan } from './torture_delay.js';

describe('torture_delay_plan', () => {
  it('unscaled, a hold of ms sleeps ms jiffies (HZ=1000), as the model always has', () => {
    expect(torture_delay_plan(50, 1)).toEqual({ sleepJ: 50 });
    expect(torture_delay_plan(1000, 1)).toEqual({ sleepJ: 1000 });
    expect(torture_delay_plan(1, 1)).toEqual({ sleepJ: 1 });
  });

  it('scaled by N: ms / N, slept in whole jiffies from one jiffy up, busy-waited in µs below', () => {
    expect(torture_delay_plan(1000, 60)).toEqual({ sleepJ: 17 });
    expect(torture_delay_plan(100, 100)).toEqual({ sleepJ: 1 });
    expect(torture_delay_plan(50, 100)).toEqual({ spinUs: 500 });
    expect(torture_delay_plan(50, 60)).toEqual({ spinUs: 50_000 / 60 });
    // The ratios stay: the rwsem writer's long hold (x10) against the reader's (x2).
    const w = torture_delay_plan(10 * 100, 2000);
    const r = torture_delay_plan(2 * 100, 2000);
    expect('spinUs' in w && 'spinUs' in r ? w.spinUs / r.spinUs : 0).toBe(5);
  });
});

/** The last `Reads :` total of a console, or -1. */
function reads(run: GuestRun): number {
  const m = [...run.console.matchAll(/-torture: Reads : {2}Total: (\d+) /g)].at(-1);
  return m === undefined ? -1 : Number(m[1]);
}

const NREADERS = 4;
/** Reads an unscaled run can make at most: every read sleeps long_hold / 2 = 50 jiffies. */
function unscaledCeiling(secs: number): number {
  return NREADERS * (Math.ceil((secs * 1000) / 50) + 1);
}

describe('torture.time_scale in a real guest', { timeout: 180_000 }, () => {
  it('rwsem readers hold long_hold / 2 ms: unscaled at most one read per 50 jiffies each; time_scale=100 passes that ceiling', async () => {
    const make = (scale: string) => (secs: number) => ({
      nrCpus: 4,
      kconfig: { CONFIG_PREEMPT: 'y' },
      durationSec: secs + 1,
      bootParams: {
        'locktorture.torture_type': 'rwsem_lock',
        'locktorture.nwriters_stress': '0',
        'locktorture.nreaders_stress': String(NREADERS),
        'locktorture.shutdown_secs': String(secs),
        'locktorture.stat_interval': '1',
        'torture.time_scale': scale,
      },
    });
    const [plain, scaled] = await Promise.all([
      runGuestUntil(make('1'), (r) => reads(r) > 0, { fromSec: 3, capSec: 12 }),
      runGuestUntil(make('100'), (r) => reads(r) > unscaledCeiling(3), { fromSec: 3, capSec: 12 }),
    ]);
    expect(reads(plain), plain.console.slice(-2000)).toBeGreaterThan(0);
    expect(reads(plain)).toBeLessThanOrEqual(unscaledCeiling(12));
    expect(reads(scaled), scaled.console.slice(-2000)).toBeGreaterThan(unscaledCeiling(3));
    for (const run of [plain, scaled]) expect(run.console).toMatch(/rwsem_lock-torture:--- End of test: SUCCESS: /);
  });
});
