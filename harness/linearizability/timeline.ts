/*
 * A history as a per-thread timeline in text: one column per thread, one row per event (an
 * invocation `op(arg) {` or a response `} -> result`), `|` while a call is in progress. The
 * console prints it under a violation; the HTML report draws the same rows as bars
 * (harness/report/page/).
 *
 *        time  task 0             task 1
 *       0.000  enqueue(7) {
 *       0.004  |                  dequeue() {
 *       0.010  } -> true          |
 *       0.020                     } -> null
 */

import { callText, showValue, type HistoryOp } from './history.js';

export interface TimelineEvent {
  readonly time: number;
  readonly op: HistoryOp;
  readonly kind: 'call' | 'ret';
}

/** The events of `ops` in time order (calls before returns at the same instant), pending calls without a return. */
export function timelineEvents(ops: readonly HistoryOp[]): TimelineEvent[] {
  const ev: TimelineEvent[] = [];
  for (const op of ops) {
    ev.push({ time: op.call, op, kind: 'call' });
    if (op.ret !== null) ev.push({ time: op.ret, op, kind: 'ret' });
  }
  return ev.sort((a, b) => a.time - b.time || (a.kind === b.kind ? a.op.id - b.op.id : a.kind === 'call' ? -1 : 1));
}

/** The threads of `ops`, ascending. */
export function timelineThreads(ops: readonly HistoryOp[]): number[] {
  return [...new Set(ops.map((o) => o.thread))].sort((a, b) => a - b);
}

/**
 * The timeline's text lines. `scale` divides times (1000: ns shown as us), `digits` their
 * decimals; times are relative to the first event. `mark(op)` prefixes a call (e.g. `=` for an
 * operation shown only for context).
 */
export function timelineText(ops: readonly HistoryOp[], opts: { scale?: number; digits?: number; unit?: string; mark?: (op: HistoryOp) => string } = {}): string[] {
  const scale = opts.scale ?? 1;
  const digits = opts.digits ?? 3;
  const mark = opts.mark ?? (() => '');
  const threads = timelineThreads(ops);
  const events = timelineEvents(ops);
  const t0 = events[0]?.time ?? 0;
  const cell = (e: TimelineEvent): string => (e.kind === 'call' ? `${mark(e.op)}${callText(e.op)} {` : `} -> ${showValue(e.op.result)}`);
  const width = Math.max(8, ...events.map((e) => cell(e).length)) + 2;
  const timeOf = (t: number): string => ((t - t0) / scale).toFixed(digits);
  const timeWidth = Math.max(6, ...events.map((e) => timeOf(e.time).length));
  const unit = opts.unit === undefined ? 'time' : `time ${opts.unit}`;
  const lines = [`${unit.padStart(timeWidth)}  ${threads.map((t) => `task ${t}`.padEnd(width)).join('').trimEnd()}`];
  const open = new Set<number>();
  for (const e of events) {
    const cols = threads.map((t) => {
      if (t === e.op.thread) return cell(e).padEnd(width);
      return (open.has(t) ? '|' : '').padEnd(width);
    });
    if (e.kind === 'call') open.add(e.op.thread);
    else open.delete(e.op.thread);
    lines.push(`${timeOf(e.time).padStart(timeWidth)}  ${cols.join('').trimEnd()}`);
  }
  const pending = ops.filter((o) => o.ret === null);
  if (pending.length > 0) lines.push(`${''.padStart(timeWidth)}  pending at the end: ${pending.map((o) => `task ${o.thread} ${callText(o)}`).join(', ')}`);
  return lines;
}
