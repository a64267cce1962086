/*
 * The writer table: every recheck writes each of these, in this order. A new output format (HTML,
 * JUnit, ...) is one file beside these and one line here.
 */

import { consoleDiags } from './console_diags.js';
import { summaryJson } from './summary_json.js';
import type { Writer } from './writer.js';

export const WRITERS: readonly Writer[] = [summaryJson, consoleDiags];
