/*
 * The lock suite: locktorture (configs/lock/, kvm-recheck-lock.sh).
 *   - boot defaults: configs/lock/ver_functions.sh's per_version_boot_params;
 *   - headline: `LOCK01 ------- 123 acquisitions/releases (12.3 per second)`, counting the writers
 *     only (`grep "Writes:  Total:" | tail -1`), as the kernel's script does;
 *   - `--ops FILE` runs a user lock-ops module as torture_type `user`.
 */

import { formatG } from '../formats/awk_number.js';
import { SCENARIO_FILE } from '../formats/results_files.js';
import { readLockStressStats } from '../torture/lock_stress_stats.js';
import { belowFloor, floorOf, hotplugShortfall, type MeaningfulFloors } from './meaningful.js';
import { statIntervalFor } from './stat_interval.js';
import type { Suite } from './suite.js';

/*
 * Acquisitions per second of test the least busy writer (the `Max/Min:` least of the last
 * `Writes:` line; of the readers for a reader-only run) must reach (configs/lock/README.md "A
 * meaningful run"): a writer that never got the lock (a lost wake-up) makes a run inconclusive.
 */
const LOCK_FLOORS: MeaningfulFloors = {
  // Measured 4 s nightly runs at load 14-18, least busy writer: 2.4/s (LOCK06), 4.8/s (LOCK03),
  // 100/s and more (LOCK01/02/04/08); the floor is a tenth of the slowest.
  default: { perSec: 0.25 },
};

export const lock: Suite = {
  name: 'lock',
  tortureModule: 'locktorture',
  bootDefaults: (durationSec) => [
    ['stat_interval', statIntervalFor(durationSec)],
    ['shutdown_secs', durationSec],
    ['verbose', 1],
  ],
  bootModules: ['../../kernels/cpu/hotplug.js', '../torture/lock_torture.js'].map((m) => new URL(m, import.meta.url).href),
  userOps: true,
  progress: { counter: 'acquisitions', unit: 'acquisitions' },
  // Per-task acquisitions (the kernel prints only their Max/Min), for the report's fairness chart.
  guestFiles: (i32) => ({ [SCENARIO_FILE.lockTasks]: readLockStressStats(i32) }),
  headline(name, facts, durSec) {
    const stats: Record<string, number> = {};
    let text = `${name} -------`;
    if (facts?.acquisitions != null) {
      const acquisitions = facts.acquisitions;
      text += ` ${acquisitions} acquisitions/releases`;
      stats['acquisitions'] = acquisitions;
      if (durSec > 0) {
        stats['acquisitionsPerSec'] = acquisitions / durSec;
        text += ` (${formatG(acquisitions / durSec)} per second)`;
      }
    }
    // Read-write types: the last Reads Total (not in the headline, as in the kernel).
    if (facts?.readAcquisitions != null) stats['readAcquisitions'] = facts.readAcquisitions;
    return { text, stats };
  },
  rules: [],
  meaningful: {
    floors: LOCK_FLOORS,
    shortfall(scenario, input) {
      const { facts } = input;
      const readersOnly = input.param('nwriters_stress') === '0';
      const total = readersOnly ? facts.readAcquisitions : facts.acquisitions;
      if (total === null) return `no locktorture statistics (${readersOnly ? 'Reads :' : 'Writes:'}) printed`;
      const least = (readersOnly ? facts.readerMin : facts.writerMin) ?? total;
      const what = `acquisitions by the least busy ${readersOnly ? 'reader' : 'writer'}`;
      return belowFloor(least, what, floorOf(LOCK_FLOORS, scenario).perSec, input.testSec) ?? hotplugShortfall(input);
    },
  },
  // The lock scenarios carry their own CPU hotplug (`.boot`: onoff_interval=50, onoff_holdoff=1;
  // LOCK04 has none, as the kernel's): boot arguments of the battery's would come after the `.boot`
  // on the command line and override it (kvm.sh's order), so it adds none.
  battery: {
    group: 'locktorture',
    weight: 1,
    bootargs: '',
    scenarioNote: '',
    busted: 'BUSTED',
    bustedShows: 'stats',
  },
};
