/*
 * `torture coverage DIR...`: the coverage points (harness/formats/coverage_points.ts) summed over
 * every scenario under the results directories given (runs, shards, a battery, a merge, lone
 * scenario directories), printed as one table, cold points first (harness/formats/coverage_sum.ts);
 * then the sum of their `lock_stat` files, if any (harness/formats/lock_stat_sum.ts).
 * It reads its words itself (rawArgs), as `torture report` does: a stray option is the same
 * one-line error as a missing DIR.
 */

import { notResultsDir } from '../formats/results_files.js';
import { collectCoverage, coverageReachLines, coverageTableLines, sumCoverage } from '../formats/coverage_sum.js';
import { lockStatText } from '../formats/lock_stat.js';
import { collectLockStat } from '../formats/lock_stat_sum.js';
import { usage, type Command } from './command.js';

export const coverage: Command = {
  name: 'coverage',
  yargs: 'coverage',
  describe: 'sum the coverage points of results directories',
  synopsis: ['coverage DIR...'],
  about: `Sum the coverage block of every scenario under the results directories DIR... (a run, the
shards of a battery, a battery, a merge, or scenario directories) and print one table, cold
points first: 'never' (expected in some scenario, reached in none), 'cold' (0 in some scenario
that expects it), 'hot', and '-' (expected nowhere). The count of a point is its sum over all
the scenarios, so the table of two shards is the table of their merge. Then, per scenario
directory (named by its path as given, sorted by scenario name, then path), the expected points
short of the reach target of a 30 s run (100; 1,000 for a lock slow path), those declared out of
reach left out (configs/<suite>/README.md, "Reach"). Scenarios run with
CONFIG_LOCK_STAT=y add their lock_stat files, summed per lock class, after the table.`,
  options: {},
  notes: 'Exit status: 0 printed, 2 bad input (no DIR, not a results directory, no coverage block anywhere).',
  rawArgs: true,
  async handler(_a, { argv, io }) {
    if (argv.length === 0) throw usage(`Cannot sum coverage as 'DIR...' must name at least one results directory: current value is (none)`);
    for (const dir of argv) {
      if (dir.startsWith('--')) throw usage(`Cannot sum coverage as 'DIR...' must be results directories: current value is ${dir}`);
      const why = notResultsDir(dir);
      if (why !== null) throw usage(`Cannot sum coverage as 'DIR...' must be results directories: current value is ${why}`);
    }
    const { found, without } = collectCoverage(argv);
    if (found.length === 0) {
      throw usage(`Cannot sum coverage as 'DIR...' must hold a scenario with a coverage block: current value has ${without.length} scenario directories, none with one`);
    }
    for (const l of coverageTableLines(sumCoverage(found, without))) io.out(l);
    io.out('');
    for (const l of coverageReachLines(found)) io.out(l);
    // CONFIG_LOCK_STAT scenarios: their lock_stat summed (lock_stats() per class over the runs).
    const ls = collectLockStat(argv);
    if (ls.scenarios > 0) {
      io.out('');
      io.out(`lock_stat of ${ls.scenarios} scenario${ls.scenarios === 1 ? '' : 's'} (summed per class):`);
      for (const l of lockStatText(ls.classes).trimEnd().split('\n')) io.out(l);
    }
    return 0;
  },
};
