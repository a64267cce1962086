/*
 * The writer table: every recheck writes each of these, in this order. A new output format (HTML,
 * JUnit, ...) is one file beside these and one line here.
 */

import { consoleDiags } from './console_diags.js';
import { indexHtml } from './index_html.js';
import { junitXml } from './junit_xml.js';
import { summaryJson } from './summary_json.js';
import type { Writer } from './writer.js';

// summary.json first: junit.xml and index.html read the verdicts it records.
export const WRITERS: readonly Writer[] = [summaryJson, consoleDiags, junitXml, indexHtml];
