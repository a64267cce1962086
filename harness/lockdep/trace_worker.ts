/*
 * The piscina task of `torture lockdep FILE...`: check one trace in a pool thread and hand back
 * its printed lines and result, or the malformed-input message. Nothing is printed here: the main
 * thread prints every trace's output in argument order.
 */

import { isTortureError } from '../errors.js';
import { checkTraceFile, type TraceCheckOptions, type TraceResult } from './trace_check.js';

export interface TraceTask {
  readonly file: string;
  readonly opts: TraceCheckOptions;
  /** The trace's bytes when they are not in a file (standard input). */
  readonly bytes?: Uint8Array;
}

export type TraceTaskResult = { readonly ok: true; readonly lines: readonly string[]; readonly result: TraceResult } | { readonly ok: false; readonly lines: readonly string[]; readonly message: string };

export function runTraceTask(task: TraceTask): TraceTaskResult {
  const lines: string[] = [];
  try {
    const result = checkTraceFile(task.file, (l) => lines.push(l), task.opts, task.bytes);
    return { ok: true, lines, result };
  } catch (e) {
    if (isTortureError(e)) return { ok: false, lines, message: e.message };
    throw e;
  }
}

export default runTraceTask;
