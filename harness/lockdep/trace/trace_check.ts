/*
 * `torture lockdep TRACE.jsonl`: the lockdep validator run over a recorded lock trace.
 *
 * Format (one JSON object per line; blank lines and lines starting with `#` are ignored):
 *   {"op":"acquire","task":"T","lock":"CLASS","type":"spinlock|rwlock|mutex|rwsem|percpu_rwsem",
 *    "mode":"write|read","subclass":0,"try":false,"stack":["fn", ...]}
 *   {"op":"release","task":"T","lock":"CLASS","subclass":0}
 *   {"op":"hardirq_enter|hardirq_exit|softirq_enter|softirq_exit|irqs_disable|irqs_enable|bh_disable|bh_enable","task":"T"}
 * `type` is required on a class's first acquire and must not change; `mode` defaults to write and
 * `read` is allowed for rwlock (recursive only in interrupt context, as qrwlock), rwsem and
 * percpu_rwsem (non-recursive). `stack` (optional, innermost first) names the call chain printed in
 * reports; without it a frame names the trace line.
 *
 * Context is per task, as in the kernel: every task starts in process context with irqs and
 * softirqs on; a task's irq ops change only its own context. hardirq_enter turns the task's irqs
 * off and hardirq_exit back on (the irq entry/exit code's trace_hardirqs_off/on), softirq_enter /
 * softirq_exit and bh_disable / bh_enable do the same for softirqs when they are the outermost
 * level; every such transition is an irq event stamped on the task (print_irqtrace_events).
 *
 * Guarantees: the whole file is read and checked for malformed input before anything is
 * printed (trace_parse.ts; the pipelined checkTraceFileFast() validates while a reader thread
 * parses, and holds its output until the parse is complete), so a malformed file never prints a
 * half report. Tasks are pseudo
 * tasks (pid in order of first appearance, comm truncated to 15 characters) on one pseudo CPU.
 * The validator's capacities are sized from the trace up to the hard caps of trace_limits.ts: a
 * trace within them hits no capacity limit except the kernel's own MAX_LOCK_DEPTH per task; one
 * past a cap (more than 65,536 lock classes, say) gets the kernel's `BUG: MAX_... too low!`
 * report as its finding. Every `at:` is the acquisition's own trace line.
 * Returns 0 when clean (one summary line), 1 when lockdep reported (the report is printed).
 * With `all`, validation goes on after a report and each distinct problem is reported once.
 */

import { existsSync, statSync } from 'node:fs';
import { TortureError } from '../../errors.js';
import { distPath } from '../../lib/dist_entry.js';
import { DEFAULT_LIMITS } from '../index.js';
import type { SimEnv } from '../sim_env.js';
import type { LockdepBugKind, LockdepLimits } from '../types.js';
import { traceBounds } from './trace_bounds.js';
import { TRACE_LIMITS } from './trace_limits.js';
import { TraceChunks, TraceUnreadable, unreadableMessage } from './trace_chunks.js';
import { parseTrace, TraceReader } from './trace_parse.js';
import type { ParsedTrace } from './trace_format.js';
import { TraceReplay } from './trace_replay.js';
import { parsedSource, StreamSource, type TraceSource } from './trace_stream.js';

export { parseTrace } from './trace_parse.js';
export type { ParsedTrace } from './trace_format.js';

export interface TraceCheckOptions {
  /** Go on after a report and report each distinct problem once (continueAfterReport). */
  readonly all?: boolean;
  /** Print the summary line after reports too (several traces, or --all). */
  readonly summary?: boolean;
  /** checkTraceFileFast(): read and parse a large file in a second thread (default true). */
  readonly pipeline?: boolean;
  /** checkTraceFileFast(): the size from which a file is pipelined (default PIPELINE_MIN_BYTES). */
  readonly pipelineMinBytes?: number;
}

/** One report, machine-readably. */
export interface TraceFinding {
  readonly kind: LockdepBugKind;
  /** The report's headline, e.g. `WARNING: possible circular locking dependency detected`. */
  readonly title: string;
  /** Lock classes involved (printed names), the one being acquired or changed first. */
  readonly classes: readonly string[];
  /** Tasks involved, the reporting one first. */
  readonly tasks: readonly string[];
  /** Trace lines involved: the reporting event first, then the acquisitions and recordings shown. */
  readonly lines: readonly number[];
  /** The report text. */
  readonly report: readonly string[];
}

export interface TraceResult {
  readonly file: string;
  readonly rc: 0 | 1;
  readonly events: number;
  readonly tasks: number;
  readonly classes: number;
  readonly dependencies: number;
  readonly findings: readonly TraceFinding[];
}

function pow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Capacities for this trace: enough for everything it can record, up to the hard caps of
 * trace_limits.ts (past a cap the validator prints the kernel's `BUG: MAX_... too low!`).
 */
export function traceLimits(t: ParsedTrace): LockdepLimits {
  const classes = Math.min(TRACE_LIMITS.keys, Math.max(16, t.bounds.classes + 1));
  return {
    MAX_LOCKDEP_KEYS: classes,
    MAX_LOCKDEP_ENTRIES: Math.min(TRACE_LIMITS.entries, Math.max(64, Math.min(t.bounds.entries, classes * classes) + 1)),
    MAX_LOCKDEP_CHAINS: Math.min(TRACE_LIMITS.chains, Math.max(64, t.bounds.chains + 1)),
    // Stacks are the trace's own (stack tokens): nothing but class names goes to the arena.
    MAX_STACK_TRACE_ENTRIES: DEFAULT_LIMITS.MAX_STACK_TRACE_ENTRIES,
    ARENA_WORDS: pow2(t.bounds.nameWords * 2 + 4096),
  };
}

/** Run the validator over a parsed trace; prints the reports or a summary through `out`. */
export function runTrace(t: ParsedTrace, out: (line: string) => void, opts: TraceCheckOptions = {}): TraceResult {
  return runSource(parsedSource(t), traceLimits(t), out, opts).result;
}

/**
 * Capacities for a trace of `bytes` bytes of which the first `consumed` gave `soFar` (the
 * pipelined check starts before the whole trace is parsed): the bounds so far scaled to the whole
 * file with a quarter to spare, classes capped at 65,536, each at most one per acquire line the
 * file can hold (40 bytes at least). When the trace needs more, the check is run again with
 * traceLimits() of the whole trace, so an estimate costs time, never a verdict.
 */
export function estimatedLimits(bytes: number, consumed: number, soFar: ParsedTrace['bounds']): LockdepLimits {
  const scale = (consumed > 0 ? bytes / consumed : 1) * 1.25;
  const most = Math.ceil(bytes / 40) + 64;
  const est = (x: number): number => Math.min(most, Math.ceil(x * scale) + 1024);
  const classes = Math.min(est(soFar.classes), TRACE_LIMITS.keys);
  return {
    MAX_LOCKDEP_KEYS: classes,
    MAX_LOCKDEP_ENTRIES: Math.min(est(soFar.entries), classes * classes, TRACE_LIMITS.entries),
    MAX_LOCKDEP_CHAINS: Math.min(est(soFar.chains), TRACE_LIMITS.chains),
    MAX_STACK_TRACE_ENTRIES: DEFAULT_LIMITS.MAX_STACK_TRACE_ENTRIES,
    ARENA_WORDS: pow2(Math.ceil(soFar.nameWords * scale) * 2 + 4096),
  };
}

/** runSource()'s result, and whether a capacity sized for the trace ran out (estimated limits). */
interface SourceRun {
  readonly result: TraceResult;
  readonly capacityHit: boolean;
}

/** Run the validator over the events of `src` as they arrive; the caller buffers `out` when src streams. */
function runSource(src: TraceSource, limits: LockdepLimits, out: (line: string) => void, opts: TraceCheckOptions): SourceRun {
  const all = opts.all === true;
  let report: string[] = [];
  const replay = new TraceReplay(src, limits, all, (lines) => {
    for (const l of lines) {
      out(l);
      report.push(l);
    }
  });
  const bugs = replay.env.bugs;
  let have = src.n;
  let capacityHit = false;
  const findings: TraceFinding[] = [];
  let seen = 0;
  for (let i = 0; ; i++) {
    if (i >= have) {
      if (i >= src.n && !src.more()) break;
      have = src.n;
      replay.refresh();
    }
    replay.step(i);
    if (bugs.length > seen) {
      for (; seen < bugs.length; seen++) {
        const b = bugs[seen];
        if (b === undefined) continue;
        // Only the kernel's own per-task limit is a finding of the trace; a capacity sized for it is not.
        if (b.kind === 'capacity' && b.title !== 'BUG: MAX_LOCK_DEPTH too low!') capacityHit = true;
        findings.push(traceFinding(src, b, i, report));
        report = [];
      }
      if (!all) break;
    }
  }
  // The summary counts the whole trace, and a malformed line anywhere is the answer.
  src.drain();
  const n = src.n;
  const deps = replay.ld.dependencies;
  const nclasses = replay.classes;
  const ntask = replay.tasks;
  const rc: 0 | 1 = findings.length > 0 ? 1 : 0;
  if (rc === 0 || opts.summary === true || all) {
    const what = rc === 0 ? 'no problems found' : `${findings.length} problem${findings.length === 1 ? '' : 's'} found`;
    out(`lockdep: ${src.file}: ${n} events, ${ntask} task${ntask === 1 ? '' : 's'}, ${nclasses} lock class${nclasses === 1 ? '' : 'es'}, ${deps} dependencies: ${what}`);
  }
  return { result: { file: src.file, rc, events: n, tasks: ntask, classes: nclasses, dependencies: deps, findings }, capacityHit };
}

/** A validator report as a finding of the trace: its tokens are event indices, so lines and tasks. */
function traceFinding(src: TraceSource, b: SimEnv['bugs'][number], i: number, report: readonly string[]): TraceFinding {
  const tokens = b.finding?.tokens ?? [i];
  const lines = tokens.map((tk) => src.line[tk] ?? 0);
  const tasks: string[] = [];
  for (const tk of tokens) {
    const name = src.taskNames[src.task[tk] ?? 0] ?? '?';
    if (!tasks.includes(name)) tasks.push(name);
  }
  return { kind: b.kind, title: b.title, classes: b.finding?.classes ?? [], tasks, lines, report };
}

/**
 * Read a trace file (or take its bytes), parse it and check it. A file is read a chunk at a time
 * (trace_chunks.ts) rather than whole: the same events, without a buffer the size of the file (a
 * 50 MB trace's buffer alone is 12,000 fresh pages, about 160 ms of page faults on this VM, and
 * 50 MB more of peak memory per pool thread). A FIFO, a character device or a /dev/fd/N of process
 * substitution is read the same way to its end: a stream of any length, never held whole.
 */
export function checkTraceFile(file: string, out: (line: string) => void, opts: TraceCheckOptions = {}, bytes?: Uint8Array): TraceResult {
  if (bytes !== undefined) return runTrace(parseTrace(file, bytes), out, opts);
  const unreadable = (e: unknown): TortureError => new TortureError('TRACE_MALFORMED', unreadableMessage(file, e));
  let size: number;
  try {
    const st = statSync(file);
    size = st.isFile() ? st.size : Infinity;
  } catch (e) {
    throw unreadable(e);
  }
  const reader = new TraceReader(file, Number.isFinite(size) ? size : 0);
  try {
    const chunks = new TraceChunks(file, size, reader);
    while (chunks.step());
  } catch (e) {
    if (e instanceof TraceUnreadable) throw unreadable(e);
    throw e;
  }
  return runTrace(reader.end(), out, opts);
}

/*
 * Below this size (about 300,000 events) a trace is read and parsed in the calling thread:
 * starting the reader thread (60 ms or more) costs about what the overlap gains, and on a busy
 * machine the two threads compete for one core (measured on 100,000 events: slower pipelined).
 */
export const PIPELINE_MIN_BYTES = 16 << 20;

/**
 * The pipelined check of a trace file: a reader thread reads and parses while this thread
 * validates (trace_stream.ts). Output is held until the whole file is parsed (a malformed line
 * anywhere prints nothing but its message). Falls back to the in-thread check for small files,
 * non-regular files, or when `pipeline` is false.
 */
export function checkTraceFileFast(file: string, out: (line: string) => void, opts: TraceCheckOptions = {}): TraceResult {
  let size = -1;
  try {
    const st = statSync(file);
    if (st.isFile()) size = st.size;
  } catch {
    /* the in-thread path writes the message */
  }
  const worker = distPath('traceReadWorker');
  if (opts.pipeline === false || size < (opts.pipelineMinBytes ?? PIPELINE_MIN_BYTES) || !existsSync(worker)) return checkTraceFile(file, out, opts);
  const src = new StreamSource(file, size, worker);
  const lines: string[] = [];
  // The capacities come from the first batch (scaled to the file); the reader goes on meanwhile.
  src.more();
  const first = traceBounds(src.n, src.op, src.task, src.lock, src.sub, src.lockNames);
  let run = runSource(src, estimatedLimits(size, src.consumed, first), (l) => lines.push(l), opts);
  if (run.capacityHit) {
    // The estimate was short: check again with capacities from the whole trace (already parsed).
    lines.length = 0;
    const whole = src.whole();
    run = runSource(parsedSource(whole), traceLimits(whole), (l) => lines.push(l), opts);
  }
  for (const l of lines) out(l);
  return run.result;
}

/** Run the validator over TRACE; prints the report or a summary through `out`. */
export function checkTrace(file: string, out: (line: string) => void, opts: TraceCheckOptions = {}): 0 | 1 {
  return checkTraceFile(file, out, opts).rc;
}
