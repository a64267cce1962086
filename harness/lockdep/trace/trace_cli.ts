/*
 * `torture lockdep FILE... [-] [--all] [--json]`: check one or many traces.
 *
 * One trace is checked in this thread. Several are checked in parallel on a piscina pool (one
 * worker thread per core, at most one per trace); each trace's output is printed whole, in the
 * order the traces were named, as soon as it and every trace before it are done. `-` reads a trace
 * from standard input (at most once), parsed in this thread as it arrives; a FIFO or /dev/fd/N
 * (process substitution) is read as a stream too, to its end, by the thread that checks it
 * (trace_check.ts). `--all` goes on after the first report and reports each
 * distinct problem once (continueAfterReport), ending with a summary line; with several traces
 * every trace ends with its summary line. `--json` prints one JSON document instead of the text:
 * per trace its counts and findings (kind, title, classes, tasks, trace lines, report text).
 * `--lock-stat` prints each trace's lock_stat (from the optional "ts" keys: trace_lock_stat.ts)
 * after the checks (with --json: each trace's `lockStat`); files only.
 *
 * Exit codes: 0 every trace clean, 1 a report in some trace, 2 bad input (a missing file, a
 * malformed trace: `FILE:LINE: what is wrong`, a line past a limit of trace_limits.ts included). A malformed trace does not stop the others: their
 * results are printed first, then the errors.
 */

import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { isTortureError, TortureError } from '../../errors.js';
import { distPath } from '../../lib/dist_entry.js';
import type { ParsedTrace, TraceResult } from './trace_check.js';
import { feedStream } from './trace_chunks.js';
import { TraceReader } from './trace_parse.js';
import { runTraceTask, type TraceTask, type TraceTaskResult } from './trace_worker.js';
import { traceLockStat } from './trace_lock_stat.js';
import { lockStatText } from '../../formats/lock_stat.js';

export interface LockdepCommandArgs {
  readonly traces: readonly string[];
  readonly all: boolean;
  readonly json: boolean;
  /** --lock-stat: each trace's lock_stat from its "ts" keys (trace_lock_stat.ts), after its check. */
  readonly lockStat?: boolean;
}

export interface LockdepCommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Standard input's bytes (for `-`; tests); without it, process.stdin as it arrives. */
  readonly stdin?: () => Promise<Uint8Array>;
}

export const STDIN_NAME = '-';

async function* stdinChunks(io: LockdepCommandIo): AsyncIterable<Uint8Array> {
  if (io.stdin !== undefined) yield await io.stdin();
  else for await (const c of process.stdin) yield c as Buffer;
}

/** Standard input parsed as it arrives (never held whole): its trace, or its malformed-input outcome. */
async function parseStdin(io: LockdepCommandIo): Promise<{ readonly parsed: ParsedTrace } | { readonly outcome: TaskOutcome }> {
  const reader = new TraceReader(STDIN_NAME, 0);
  try {
    await feedStream(stdinChunks(io), reader);
  } catch (e) {
    if (isTortureError(e)) return { outcome: { ok: false, lines: [], message: e.message } };
    throw e;
  }
  return { parsed: reader.end() };
}

/** The buffers of a parsed trace's columns, to move to a pool thread instead of copying them. */
function columnBuffers(t: ParsedTrace): ArrayBuffer[] {
  return [t.op, t.task, t.lock, t.sub, t.flags, t.line].map((c) => c.buffer as ArrayBuffer);
}

function usage(message: string): TortureError {
  return new TortureError('USAGE', message);
}

/** The checks on the command line itself (before any trace is read). */
export function checkLockdepArgs(a: LockdepCommandArgs): void {
  if (a.traces.length === 0) throw usage(`Cannot check a lock trace as 'TRACE.jsonl' must be given: current value is (none)`);
  if (a.traces.filter((t) => t === STDIN_NAME).length > 1) throw usage(`Cannot check standard input twice as '-' must be given at most once: current value is ${a.traces.join(' ')}`);
  // A stream read twice would be split between its two readers: like `-`, at most once.
  const streams = new Set<string>();
  for (const t of a.traces) {
    if (t === STDIN_NAME) continue;
    const kind = traceInput(t);
    if (kind === null) throw usage(`Cannot check a lock trace as 'TRACE.jsonl' must be an existing file: current value is ${t}`);
    if (kind === 'file') continue;
    const st = statSync(t);
    const id = `${st.dev}:${st.ino}`;
    if (streams.has(id)) throw usage(`Cannot check ${t} twice as a pipe must be given at most once: current value is ${a.traces.join(' ')}`);
    streams.add(id);
  }
  if (a.lockStat === true) {
    const streamed = a.traces.find((t) => t === STDIN_NAME || traceInput(t) !== 'file');
    if (streamed !== undefined) throw usage(`Cannot print lock_stat of ${streamed} as '--lock-stat' must be given files (a stream is read once, by the check): current value is ${streamed}`);
  }
}

/**
 * How a trace is read from a path: a file, or a stream read like standard input (a FIFO, a
 * /dev/fd/N of process substitution, a character device); null for anything else (a directory).
 */
function traceInput(t: string): 'file' | 'stream' | null {
  if (t === '' || !existsSync(t)) return null;
  const st = statSync(t);
  if (st.isFile()) return 'file';
  return st.isFIFO() || st.isCharacterDevice() ? 'stream' : null;
}

function jsonOf(file: string, r: TaskOutcome): unknown {
  if (!r.ok) return { file, error: r.message };
  const t: TraceResult = r.result;
  return {
    file,
    status: t.rc === 0 ? 'clean' : 'reported',
    events: t.events,
    tasks: t.tasks,
    classes: t.classes,
    dependencies: t.dependencies,
    findings: t.findings.map((f) => ({ kind: f.kind, title: f.title, classes: f.classes, tasks: f.tasks, lines: f.lines, report: f.report })),
  };
}

type TaskOutcome = TraceTaskResult;

function workerFile(): string {
  const f = distPath('traceWorker');
  if (!existsSync(f)) throw new TortureError('USAGE', `Cannot check several traces as '${path.relative(process.cwd(), f)}' must exist (run npm run build): current value is missing`);
  return f;
}

export async function lockdepCommand(a: LockdepCommandArgs, io: LockdepCommandIo): Promise<number> {
  checkLockdepArgs(a);
  // lock_stat first: a malformed "ts" is bad input before anything is printed.
  const lockStats = a.lockStat === true ? await Promise.all(a.traces.map((t) => traceLockStat(path.resolve(t)))) : null;
  const opts = { all: a.all, summary: a.all || a.traces.length > 1 };
  const tasks: TraceTask[] = [];
  const outcomes: (TaskOutcome | undefined)[] = new Array<TaskOutcome | undefined>(a.traces.length);
  for (const t of a.traces) {
    if (t !== STDIN_NAME) {
      tasks.push({ file: path.resolve(t), opts });
      continue;
    }
    // Malformed standard input is its outcome, printed in its turn like any trace's.
    const s = await parseStdin(io);
    if ('outcome' in s) outcomes[tasks.length] = s.outcome;
    tasks.push({ file: STDIN_NAME, opts, ...('parsed' in s ? { parsed: s.parsed } : {}) });
  }
  let printed = 0;
  const errors: string[] = [];
  // Print each trace whole, in argument order, as soon as those before it are done.
  const flush = (): void => {
    while (printed < tasks.length) {
      const o = outcomes[printed];
      if (o === undefined) return;
      if (!a.json) for (const l of o.lines) io.out(l);
      if (!o.ok) errors.push(o.message);
      printed++;
    }
  };
  if (tasks.length === 1) {
    const only = tasks[0];
    // One trace alone has the second core to itself: its reading and parsing overlap the check.
    if (only !== undefined) outcomes[0] ??= runTraceTask({ ...only, pipeline: true });
    flush();
  } else {
    const pool = new Piscina<TraceTask, TraceTaskResult>({
      // The compiled worker (this module also runs from source under vitest).
      filename: workerFile(),
      name: 'runTraceTask',
      minThreads: 1,
      maxThreads: Math.max(1, Math.min(tasks.length, availableParallelism())),
      idleTimeout: 100,
    });
    try {
      await Promise.all(
        tasks.map(async (t, i) => {
          if (outcomes[i] === undefined) {
            // The columns of standard input move to the worker instead of being copied.
            outcomes[i] = await pool.run(t, t.parsed !== undefined ? { transferList: columnBuffers(t.parsed) } : {});
          }
          flush();
        }),
      );
    } finally {
      await pool.destroy();
    }
  }
  if (a.json) {
    const doc = {
      traces: tasks.map((t, i) => ({ ...(jsonOf(t.file, outcomes[i] ?? { ok: false, lines: [], message: 'not checked' }) as object), ...(lockStats !== null ? { lockStat: lockStats[i] } : {}) })),
    };
    io.out(JSON.stringify(doc, null, 2));
  } else if (lockStats !== null) {
    a.traces.forEach((t, i) => {
      io.out(`lock_stat of ${t}:`);
      for (const l of lockStatText(lockStats[i] ?? []).trimEnd().split('\n')) io.out(l);
    });
  }
  if (errors.length > 0) {
    for (const m of errors.slice(0, -1)) io.err(`torture: ${m}`);
    throw new TortureError('TRACE_MALFORMED', errors[errors.length - 1] ?? '');
  }
  return outcomes.some((o) => o !== undefined && o.ok && o.result.rc !== 0) ? 1 : 0;
}
