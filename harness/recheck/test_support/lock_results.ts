/*
 * A small results directory for the tests of what recheck, the report and the CLI do with a
 * damaged or unwritable one: a lock run of one clean scenario, with or without its plan files.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const LOCK_OK = [
  '[    0.100000] lock-torture:--- Start of test [debug]: nwriters_stress=4 nreaders_stress=0 stat_interval=60 verbose=1 shuffle_interval=3 stutter=5 shutdown_secs=3 onoff_interval=0 onoff_holdoff=0',
  '[    3.000000] Writes:  Total: 3000  Max/Min: 800/700   Fail: 0',
  '[    3.000000] lock-torture:--- End of test: SUCCESS [debug]: nwriters_stress=4 nreaders_stress=0 stat_interval=60 verbose=1 shuffle_interval=3 stutter=5 shutdown_secs=3 onoff_interval=0 onoff_holdoff=0',
];

/**
 * Make `dir` a results directory whose plan names LOCK01 and LOCK02 (plan: `batches` and/or
 * `scenarios`, or none); only LOCK01 ran, cleanly. Returns `dir`.
 */
export function lockResults(dir: string, plan: { batches?: boolean; scenarios?: boolean } = {}): string {
  writeFileSync(path.join(dir, 'log'), 'torture --torture lock --configs "LOCK01 LOCK02" --duration 3s\n');
  writeFileSync(path.join(dir, 'torture_suite'), 'lock\n');
  if (plan.batches === true) writeFileSync(path.join(dir, 'batches'), '# cpus=0\n1 LOCK01 4\n2 LOCK02 4\n3 ../outside 4\n');
  if (plan.scenarios === true) writeFileSync(path.join(dir, 'scenarios'), '# cpus=0\n1.  LOCK01\n2.  LOCK02\n');
  const d = path.join(dir, 'LOCK01');
  mkdirSync(d);
  writeFileSync(path.join(d, 'guest-spec.json'), JSON.stringify({ scenario: 'LOCK01', suite: 'lock', durationSec: 3, bootParams: { 'locktorture.shutdown_secs': '3' } }));
  writeFileSync(path.join(d, 'console.log'), LOCK_OK.join('\n') + '\n');
  writeFileSync(path.join(d, 'guest-retval'), '0\n');
  writeFileSync(path.join(d, 'guest-result.json'), JSON.stringify({ scenario: 'LOCK01', end: 'poweroff', seconds: 3.1, problems: [], findings: [] }));
  return dir;
}

