/*
 * `torture recheck DIR...`: re-derive the verdicts of results directories from their files
 * (kvm-recheck.sh). Every DIR must be a results directory before anything is read or written (a
 * CI step pointed at the wrong artifact must not go green).
 */

import { list } from '../cli/cli_option.js';
import { notResultsDir } from '../formats/results_files.js';
import { usage, type Command } from './command.js';

export const recheck: Command = {
  name: 'recheck',
  yargs: 'recheck [dirs..]',
  describe: 'recheck results directories',
  synopsis: ['recheck DIR...'],
  about: `Re-derive the verdicts of results directories from their files, as kvm-recheck.sh does: each
scenario's console.log, guest-retval and lockdep reports, then kvm-end-run-stats.sh's summary.
DIR is a run's results directory (with its \`log\`), a battery's, or one scenario directory. \`torture-recheck DIR...\` is the same.`,
  options: {},
  notes: 'Exit status: 0 every run succeeded, 1 a run failed (or a file could not be written), 2 bad input.',
  async handler(a, { io }) {
    const dirs = list(a['dirs']);
    if (dirs.length === 0) throw usage(`Cannot recheck as 'DIR...' must name at least one results directory: current value is (none)`);
    for (const d of dirs) {
      const why = notResultsDir(d);
      if (why !== null) throw usage(`Cannot recheck as 'DIR' must be a results directory: current value is ${why}`);
    }
    const [{ recheckMain }, { REPORT_WRITERS }] = await Promise.all([import('../recheck/recheck.js'), import('../report/report_writers.js')]);
    return recheckMain(dirs, io.out, REPORT_WRITERS);
  },
};
