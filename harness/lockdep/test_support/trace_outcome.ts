/*
 * A trace check's outcome as the tests compare it: the lines it printed and its result, or the
 * one-line message of bad input. Shared by the tests that check one file two ways (in-thread and
 * pipelined) and expect the same outcome.
 */

import { isTortureError } from '../../errors.js';
import type { checkTraceFile, TraceCheckOptions, TraceResult } from '../trace/trace_check.js';

export type TraceOutcome = { lines: string[]; result: TraceResult } | { error: string };

export function traceOutcome(check: typeof checkTraceFile, file: string, opts: TraceCheckOptions = {}): TraceOutcome {
  const lines: string[] = [];
  try {
    return { lines, result: check(file, (l) => lines.push(l), opts) };
  } catch (e) {
    if (isTortureError(e)) return { error: e.message };
    throw e;
  }
}
