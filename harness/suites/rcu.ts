/*
 * The rcu suite: rcutorture over Tree RCU (configs/rcu/, kvm-recheck-rcu.sh).
 *   - boot defaults: configs/rcu/ver_functions.sh's per_version_boot_params;
 *   - headline: `TREE05 ------- 148 GPs (14.8/s) [rcu: g4 f0 total-gps=302]` (the last `ver:`);
 *   - its own rule: Reader Batch close calls (kvm-recheck-rcu.sh's "close calls" check).
 */

import { formatG } from '../formats/awk_number.js';
import type { Finding, RecheckRule } from '../formats/recheck_rule.js';
import { belowFloor, floorOf, hotplugShortfall, type MeaningfulFloors } from './meaningful.js';
import { statIntervalFor } from './stat_interval.js';
import type { Suite } from './suite.js';

/**
 * Reader Batch close calls: readers that saw an element two or more grace periods old. More than
 * five per six minutes (and more than one) is a BUG; fewer is a WARNING that does not fail the run.
 */
const readerBatchCloseCalls: RecheckRule = ({ facts, durSec, files }) => {
  const closeCalls = facts?.readerBatchCloseCalls ?? null;
  if (closeCalls === null || closeCalls <= 0 || durSec <= 0) return [];
  const per6min = Math.floor((closeCalls * 36000) / durSec);
  const msg = `${closeCalls} Reader Batch close calls in ${Math.floor(durSec / 60)} minute run: ${files.dir}`;
  const f: Finding = per6min > 5 && closeCalls > 1 ? { lines: [`BUG: ${msg}`], reasons: [`${closeCalls} Reader Batch close calls`] } : { lines: [`WARNING: ${msg}`], reasons: [] };
  return [f];
};

/*
 * Grace periods (the writer's `ver`) per second of test a run must reach, at least one
 * (configs/rcu/README.md "A meaningful run"). Measured 3-4 s runs at load 10-20: 20-50/s
 * (TREE01-04, TREE09), 2-3/s (TREE07), 1.7/s (TREE10); TREE05 (lockdep and gp delays) 0.5-2/s
 * under load (15/s and more idle). Each floor is a fifth or less of the slowest measured.
 */
const RCU_FLOORS: MeaningfulFloors = {
  default: { perSec: 0.25 },
  TREE05: { perSec: 0.1 },
};

export const rcu: Suite = {
  name: 'rcu',
  tortureModule: 'rcutorture',
  bootDefaults: (durationSec) => [
    ['n_barrier_cbs', 4],
    ['stat_interval', statIntervalFor(durationSec)],
    ['shutdown_secs', durationSec],
    ['test_no_idle_hz', 1],
    ['verbose', 1],
  ],
  bootModules: ['../../kernels/cpu/hotplug.js', '../torture/rcu_torture.js', '../torture/rcu_torture_prove_rcu.js'].map((m) => new URL(m, import.meta.url).href),
  userOps: false,
  progress: { counter: 'gps', unit: 'GPs' },
  guestFiles: () => ({}),
  headline(name, facts, durSec) {
    if (facts?.lastVer == null) {
      // kvm-recheck-rcu.sh: echo "$configfile ------- " $stopstate (the quoted word keeps its space).
      const stop = facts?.gpStopState ?? '';
      return { text: `${name} ------- ${stop === '' ? '' : ` ${stop}`}`, stats: {} };
    }
    const gps = facts.lastVer;
    let text = `${name} ------- ${gps} GPs`;
    const stats: Record<string, number> = { gps };
    if (durSec > 0) {
      stats['gpsPerSec'] = gps / durSec;
      text += ` (${formatG(gps / durSec)}/s)`;
    }
    if (facts.gpStopState !== '') text += ` ${facts.gpStopState}`;
    return { text, stats };
  },
  rules: [readerBatchCloseCalls],
  meaningful: {
    floors: RCU_FLOORS,
    shortfall(scenario, input) {
      const gps = input.facts.finalVer ?? input.facts.lastVer;
      if (gps === null) return 'no rcutorture statistics (ver:) printed';
      return belowFloor(gps, 'grace periods', floorOf(RCU_FLOORS, scenario).perSec, input.testSec) ?? hotplugShortfall(input);
    },
  },
  battery: { group: 'rcutorture', weight: 7, bootargs: '', scenarioNote: '', busted: 'BUSTED', bustedShows: 'stats' },
};
