/*
 * index.html: the self-contained HTML report of a results directory (harness/report/), written
 * after summary.json so that it shows this recheck's verdicts. A report that cannot be written
 * (dist/ not built, say) is said on stderr and never fails the recheck: the verdicts are printed
 * and on disk already, and `torture report DIR` writes it later.
 */

import { writeReport } from '../../report/write_report.js';
import type { Writer } from './writer.js';

export const indexHtml: Writer = {
  name: 'index.html',
  run(dir) {
    try {
      writeReport(dir);
    } catch (e) {
      process.stderr.write(`torture: index.html not written in ${dir}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  },
};
