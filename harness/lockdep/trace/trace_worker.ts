/*
 * The piscina task of `torture lockdep FILE...`: check one trace in a pool thread and hand back
 * its printed lines and result, or the malformed-input message. Nothing is printed here: the main
 * thread prints every trace's output in argument order.
 */

import { isTortureError } from '../../errors.js';
import { checkTraceFileFast, runTrace, type ParsedTrace, type TraceCheckOptions, type TraceResult } from './trace_check.js';

export interface TraceTask {
  readonly file: string;
  readonly opts: TraceCheckOptions;
  /** The trace already parsed when it is not in a file (standard input, parsed as it arrived). */
  readonly parsed?: ParsedTrace;
  /** Read and parse a large file in a second thread while this one validates (one trace alone). */
  readonly pipeline?: boolean;
}

export type TraceTaskResult = { readonly ok: true; readonly lines: readonly string[]; readonly result: TraceResult } | { readonly ok: false; readonly lines: readonly string[]; readonly message: string };

export function runTraceTask(task: TraceTask): TraceTaskResult {
  const lines: string[] = [];
  try {
    const out = (l: string): number => lines.push(l);
    const result = task.parsed !== undefined ? runTrace(task.parsed, out, task.opts) : checkTraceFileFast(task.file, out, { ...task.opts, pipeline: task.pipeline === true });
    return { ok: true, lines, result };
  } catch (e) {
    if (isTortureError(e)) return { ok: false, lines, message: e.message };
    throw e;
  }
}

export default runTraceTask;
