/*
 * summary.json: every scenario's ScenarioSummary in its directory, and the RunSummary (with all
 * of them) in the results directory. The format other tools read; fields are only ever added.
 */

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Writer } from './writer.js';

export const summaryJson: Writer = {
  name: 'summary.json',
  scenario(v) {
    writeFileSync(path.join(v.dir, 'summary.json'), JSON.stringify(v.summary, null, 2) + '\n');
  },
  run(dir, v) {
    writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(v.summary, null, 2) + '\n');
  },
};
