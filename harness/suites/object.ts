/*
 * The object suite: objecttorture (harness/torture/object_torture.ts, configs/object/), a
 * concurrent object's calls under the machine's preemption, migration and hotplug, judged by
 * linearizability.
 *   - boot defaults: the lock suite's (stat_interval, shutdown_secs, verbose);
 *   - headline: `OBJ01 ------- 4000 operations (400 per second) linearizable`, the calls counted
 *     from the last `Writes:  Total:` line (objecttorture prints locktorture's stats shape);
 *   - `--ops FILE` runs a user object-ops module as torture_type `user`.
 */

import { formatG } from '../formats/awk_number.js';
import { SCENARIO_FILE } from '../formats/results_files.js';
import { readCheckRecord, readHistoryDump } from '../torture/object_history.js';
import { belowFloor, floorOf, hotplugShortfall, type MeaningfulFloors } from './meaningful.js';
import { statIntervalFor } from './stat_interval.js';
import type { Suite } from './suite.js';

/*
 * Calls per second of test (all tasks): the history's budget (objecttorture.nops, 4000 by
 * default) is spread over 80% of the test, so a 10 s run makes about 400/s; a tenth of a
 * default run's rate on a 60 s test is the floor.
 */
const OBJECT_FLOORS: MeaningfulFloors = { default: { perSec: 5 } };

export const object: Suite = {
  name: 'object',
  tortureModule: 'objecttorture',
  bootDefaults: (durationSec) => [
    ['stat_interval', statIntervalFor(durationSec)],
    ['shutdown_secs', durationSec],
    ['verbose', 1],
  ],
  bootModules: ['../../kernels/cpu/hotplug.js', '../torture/object_torture.js'].map((m) => new URL(m, import.meta.url).href),
  userOps: true,
  progress: { counter: 'acquisitions', unit: 'calls' },
  guestFiles: (i32) => {
    const rec = readCheckRecord(i32);
    return { [SCENARIO_FILE.objectHistory]: rec, [SCENARIO_FILE.objectCalls]: readHistoryDump(i32, rec) };
  },
  headline(name, facts, durSec) {
    const stats: Record<string, number> = {};
    let text = `${name} -------`;
    if (facts?.acquisitions != null) {
      stats['acquisitions'] = facts.acquisitions;
      text += ` ${facts.acquisitions} operations`;
      if (durSec > 0) {
        stats['acquisitionsPerSec'] = facts.acquisitions / durSec;
        text += ` (${formatG(facts.acquisitions / durSec)} per second)`;
      }
    }
    const v = facts?.objectCheck ?? null;
    if (v !== null) text += ` ${v.verdict}`;
    return { text, stats };
  },
  rules: [],
  meaningful: {
    floors: OBJECT_FLOORS,
    shortfall(scenario, input) {
      const v = input.facts.objectCheck ?? null;
      if (v === null) return 'no linearizability verdict printed';
      if (v.verdict === 'unknown') return `the linearizability check of ${v.operations} operations did not finish (objecttorture.check_steps)`;
      if (v.tasks < 2) return `${v.tasks} task made calls (no concurrency to check)`;
      return belowFloor(v.operations, 'operations', floorOf(OBJECT_FLOORS, scenario).perSec, input.testSec) ?? hotplugShortfall(input);
    },
  },
  battery: {
    group: 'objecttorture',
    weight: 1,
    bootargs: '',
    scenarioNote: '',
    busted: 'BUSTED',
    bustedShows: 'end',
  },
};
