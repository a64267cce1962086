/*
 * junit.xml: one test case per scenario run of the results directory (harness/report/junit.ts),
 * for CI to show. Written after summary.json, whose verdicts it carries. A file that cannot be
 * written is said on stderr and never fails the recheck: the verdicts are printed and on disk
 * already, and `torture report DIR` writes it again.
 */

import { writeJunit } from '../../report/junit.js';
import type { Writer } from './writer.js';

export const junitXml: Writer = {
  name: 'junit.xml',
  run(dir) {
    try {
      writeJunit(dir);
    } catch (e) {
      process.stderr.write(`torture: junit.xml not written in ${dir}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  },
};
