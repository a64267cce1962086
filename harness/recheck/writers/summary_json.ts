/*
 * summary.json: every scenario's ScenarioSummary in its directory, and the RunSummary (with all
 * of them) in the results directory (the format: harness/formats/summary_json.ts).
 */

import { writeSummaryJson } from '../../formats/summary_json.js';
import type { Writer } from './writer.js';

export const summaryJson: Writer = {
  name: 'summary.json',
  scenario(v) {
    writeSummaryJson(v.dir, v.summary);
  },
  run(dir, v) {
    writeSummaryJson(dir, v.summary);
  },
};
