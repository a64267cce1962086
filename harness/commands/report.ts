/*
 * `torture report DIR`: a self-contained index.html and junit.xml for a results directory
 * (harness/report/). It takes exactly one word, so it reads its words itself (rawArgs): a
 * stray option is the same one-line error as a missing DIR. A directory that is not a results
 * directory is refused before anything is written into it; a file that cannot be written (a full
 * disk) is one line and exit 1, and leaves no half-written file behind.
 */

import path from 'node:path';
import { notResultsDir } from '../formats/results_files.js';
import { isWriteFailure } from '../lib/write_file_atomic.js';
import { usage, type Command } from './command.js';

export const report: Command = {
  name: 'report',
  yargs: 'report',
  describe: 'write index.html and junit.xml',
  synopsis: ['report DIR'],
  about: `Write a self-contained index.html (verdicts, console charts, lockdep reports) and a junit.xml
into the results directory DIR: a run's, a battery's or a merged one.`,
  options: {},
  notes: 'Exit status: 0 written, 1 a file could not be written, 2 bad input.',
  rawArgs: true,
  async handler(_a, { argv, io }) {
    const [dir] = argv;
    if (argv.length !== 1 || dir === undefined || dir.startsWith('--')) throw usage(`Cannot write a report as 'DIR' must be exactly one results directory: current value is ${argv.join(' ') || '(none)'}`);
    const why = notResultsDir(dir);
    if (why !== null) throw usage(`Cannot write a report as 'DIR' must be a results directory: current value is ${why}`);
    const abs = path.resolve(dir);
    const { writeReport } = await import('../report/write_report.js');
    const { writeJunit } = await import('../report/junit.js');
    let rc = 0;
    for (const [what, write] of [['Report', writeReport], ['JUnit', writeJunit]] as const) {
      try {
        io.out(`${what}: ${write(abs)}`);
      } catch (e) {
        if (!isWriteFailure(e)) throw e;
        io.err(`torture: ${e.message}`);
        rc = 1;
      }
    }
    return rc;
  },
};
