/*
 * `torture recheck DIR...`: re-derive the verdicts of results directories from their files
 * (kvm-recheck.sh). Every DIR must exist before anything is read.
 */

import { existsSync, statSync } from 'node:fs';
import { list, usage, type Command } from './command.js';

export const recheck: Command = {
  name: 'recheck',
  yargs: 'recheck [dirs..]',
  describe: 'recheck results directories',
  synopsis: ['recheck DIR...'],
  options: {},
  async handler(a, { io }) {
    const dirs = list(a['dirs']);
    if (dirs.length === 0) throw usage(`Cannot recheck as 'DIR...' must name at least one results directory: current value is (none)`);
    for (const d of dirs) {
      if (!existsSync(d) || !statSync(d).isDirectory()) throw usage(`Cannot recheck as 'DIR' must be a results directory: current value is ${d}`);
    }
    const [{ recheckMain }, { REPORT_WRITERS }] = await Promise.all([import('../recheck/recheck.js'), import('../report/report_writers.js')]);
    return recheckMain(dirs, io.out, REPORT_WRITERS);
  },
};
