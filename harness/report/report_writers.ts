/*
 * The report's files as recheck writers: whoever runs a recheck (the end of a run, `torture
 * recheck`) passes these to it, and they draw junit.xml and index.html from the verdicts in memory
 * (never from the summary.json just written). Recheck sits below the report and does not know it:
 * the writers are the report's, the Writer interface recheck's. A file that cannot be written
 * (dist/ not built, say) is said on stderr and never fails the recheck: the verdicts are printed
 * and on disk already, and `torture report DIR` writes it later. A write failure (a full disk)
 * is recheck's to report: it fails the run, with the summary still printed. A lone scenario directory is not
 * a results directory: neither file is written into it.
 */

import { isWriteFailure } from '../lib/write_file_atomic.js';
import type { Writer } from '../recheck/writers/writer.js';
import { writeJunit } from './junit.js';
import { writeReport } from './write_report.js';

/** A results-directory writer that says on stderr why it could not write, and carries on. */
function reportWriter(name: string, write: NonNullable<Writer['run']>): Writer {
  return {
    name,
    run(dir, v) {
      try {
        write(dir, v);
      } catch (e) {
        if (isWriteFailure(e)) throw e;
        process.stderr.write(`torture: ${name} not written in ${dir}: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    },
  };
}

/** In this order, after recheck's own writers (summary.json first, as before). */
export const REPORT_WRITERS: readonly Writer[] = [reportWriter('junit.xml', (dir, v) => writeJunit(dir, v)), reportWriter('index.html', (dir, v) => writeReport(dir, v))];
