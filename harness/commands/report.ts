/*
 * `torture report DIR`: a self-contained index.html and junit.xml for a results directory
 * (harness/report/). It takes exactly one word, so it reads its words itself (rawArgs): a
 * stray option is the same one-line error as a missing DIR.
 */

import path from 'node:path';
import { isDirectory } from '../cli/option_kinds.js';
import { usage, type Command } from './command.js';

export const report: Command = {
  name: 'report',
  yargs: 'report',
  describe: 'write index.html and junit.xml',
  synopsis: ['report DIR'],
  about: `Write a self-contained index.html (verdicts, console charts, lockdep reports) and a junit.xml
into the results directory DIR: a run's, a battery's or a merged one.`,
  options: {},
  notes: 'Exit status: 0 written, 2 bad input.',
  rawArgs: true,
  async handler(_a, { argv, io }) {
    const [dir] = argv;
    if (argv.length !== 1 || dir === undefined || dir.startsWith('--')) throw usage(`Cannot write a report as 'DIR' must be exactly one results directory: current value is ${argv.join(' ') || '(none)'}`);
    if (!isDirectory(dir)) throw usage(`Cannot write a report as 'DIR' must be a results directory: current value is ${dir || '(empty)'}`);
    const abs = path.resolve(dir);
    const { writeReport } = await import('../report/write_report.js');
    const { writeJunit } = await import('../report/junit.js');
    io.out(`Report: ${writeReport(abs)}`);
    io.out(`JUnit: ${writeJunit(abs)}`);
    return 0;
  },
};
