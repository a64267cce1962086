/*
 * A writer turns verdicts into one output: a file in each scenario directory, a file in the
 * results directory, or both. Writers only format and write; they never judge (verdict.ts does).
 * A new output format is one file here and one line in index.ts (see ../README.md).
 */

import type { RunVerdict, ScenarioVerdict } from '../verdict.js';

export interface Writer {
  /** What it writes, for error messages and the README (`summary.json`). */
  readonly name: string;
  /** Write into the scenario's directory (v.dir). */
  scenario?(v: ScenarioVerdict): void;
  /** Write into the results directory `dir` (not called for a lone scenario directory). */
  run?(dir: string, v: RunVerdict): void;
}
