/*
 * `torture recheck DIR...`: re-derive the verdicts of results directories from their files
 * (kvm-recheck.sh). Every DIR must exist before anything is read.
 */

import { list } from '../cli/cli_option.js';
import { isDirectory } from '../cli/option_kinds.js';
import { usage, type Command } from './command.js';

export const recheck: Command = {
  name: 'recheck',
  yargs: 'recheck [dirs..]',
  describe: 'recheck results directories',
  synopsis: ['recheck DIR...'],
  about: `Re-derive the verdicts of results directories from their files, as kvm-recheck.sh does: each
scenario's console.log, guest-retval and lockdep reports, then kvm-end-run-stats.sh's summary.
DIR is a run's results directory (or a directory of them). \`torture-recheck DIR...\` is the same.`,
  options: {},
  notes: 'Exit status: 0 every run succeeded, 1 a run failed, 2 bad input.',
  async handler(a, { io }) {
    const dirs = list(a['dirs']);
    if (dirs.length === 0) throw usage(`Cannot recheck as 'DIR...' must name at least one results directory: current value is (none)`);
    for (const d of dirs) {
      if (!isDirectory(d)) throw usage(`Cannot recheck as 'DIR' must be a results directory: current value is ${d}`);
    }
    const [{ recheckMain }, { REPORT_WRITERS }] = await Promise.all([import('../recheck/recheck.js'), import('../report/report_writers.js')]);
    return recheckMain(dirs, io.out, REPORT_WRITERS);
  },
};
