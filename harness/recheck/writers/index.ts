/*
 * The writer table: every recheck writes each of these, in this order. A new output format of
 * recheck's own is one file beside these and one line here. The report's files (junit.xml,
 * index.html) are writers of harness/report/ that the caller of a recheck adds
 * (report_writers.ts there): recheck sits below the report and never imports it.
 */

import { consoleDiags } from './console_diags.js';
import { summaryJson } from './summary_json.js';
import type { Writer } from './writer.js';

export const WRITERS: readonly Writer[] = [summaryJson, consoleDiags];
