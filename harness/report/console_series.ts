/*
 * Time series and histograms for the HTML report, read from a console.log's periodic stats lines
 * (rcutorture's `ver:` and Reader Pipe/Batch, torture_onoff_stats()'s `onoff:`, locktorture's
 * `Writes:`/`Reads :`, printed every stat_interval). The lines are read with the one console
 * grammar (harness/formats/console_lines.ts), so the report sees what recheck judges: a failing
 * run's `!!! Reader Pipe:` is its Reader Pipe. Pure: text in, data out.
 */

import {
  isVerStatsLine,
  lockStats,
  onoffStats,
  readerHistogram,
  stampSeconds,
  stripStamp,
  verWord,
  type OnoffStats,
} from '../formats/console_lines.js';

export interface OnoffPoint extends OnoffStats {
  readonly t: number;
}

export interface LockPoint {
  readonly t: number;
  readonly total: number;
  readonly max: number;
  readonly min: number;
}

export interface ConsoleSeries {
  /** (seconds since boot, last `ver:`) per rcutorture stats print. */
  readonly ver: readonly (readonly [number, number])[];
  /** The last Reader Pipe / Reader Batch histograms (bucket i = readers that saw i grace periods). */
  readonly readerPipe: readonly number[] | null;
  readonly readerBatch: readonly number[] | null;
  readonly onoff: readonly OnoffPoint[];
  readonly writes: readonly LockPoint[];
  readonly reads: readonly LockPoint[];
}

export function consoleSeries(text: string): ConsoleSeries {
  const ver: [number, number][] = [];
  const onoff: OnoffPoint[] = [];
  const writes: LockPoint[] = [];
  const reads: LockPoint[] = [];
  let readerPipe: readonly number[] | null = null;
  let readerBatch: readonly number[] | null = null;
  for (const raw of text.split('\n')) {
    const t = stampSeconds(raw);
    const l = stripStamp(raw);
    if (!l.includes('-torture:')) continue;
    const v = isVerStatsLine(l) ? verWord(l) : undefined;
    if (v !== undefined && /^[0-9]+$/.test(v) && Number.isFinite(t)) ver.push([t, Number(v)]);
    const h = readerHistogram(l);
    if (h?.kind === 'Pipe') readerPipe = h.buckets;
    if (h?.kind === 'Batch') readerBatch = h.buckets;
    const o = onoffStats(l);
    if (o !== null && Number.isFinite(t)) onoff.push({ t, ...o });
    const w = lockStats(l);
    if (w !== null && w.max !== null && w.min !== null && Number.isFinite(t)) {
      (w.kind === 'Writes' ? writes : reads).push({ t, total: w.total, max: w.max, min: w.min });
    }
  }
  return { ver, readerPipe, readerBatch, onoff, writes, reads };
}

/** Rates between successive points: (midpoint time, per second). */
export function rates(points: readonly (readonly [number, number])[]): [number, number][] {
  const out: [number, number][] = [];
  let prev: readonly [number, number] = [0, 0];
  for (const p of points) {
    const dt = p[0] - prev[0];
    if (dt > 0) out.push([Math.round(p[0] * 10) / 10, Math.round(((p[1] - prev[1]) / dt) * 10) / 10]);
    prev = p;
  }
  return out;
}
