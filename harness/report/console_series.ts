/*
 * Time series and histograms for the HTML report, read from a console.log's periodic stats lines
 * (the kernel's formats, as rcutorture and locktorture print them every stat_interval):
 *
 *   rcu-torture: rtc: ... ver: N ... onoff: a/b:c/d e,f:g,h i:j (HZ=1000) ...
 *   rcu-torture: Reader Pipe:  n0 n1 ...        rcu-torture: Reader Batch:  n0 n1 ...
 *   <type>-torture: Writes:  Total: T  Max/Min: a/b ...   (and `Reads :` for rw types)
 *   <type>-torture: onoff: a/b:c/d e,f:g,h i:j (HZ=1000)
 *
 * `onoff:` is torture_onoff_stats(): onlines ok/tried : offlines ok/tried, min,max online latency :
 * min,max offline latency, summed online : offline latency, in jiffies. Pure: text in, data out.
 */

import { stripStamp } from '../recheck/parse_console.js';

export interface OnoffPoint {
  readonly t: number;
  readonly onlineOk: number;
  readonly onlineTry: number;
  readonly offlineOk: number;
  readonly offlineTry: number;
  readonly onlineMinJ: number;
  readonly onlineMaxJ: number;
  readonly offlineMinJ: number;
  readonly offlineMaxJ: number;
  readonly onlineSumJ: number;
  readonly offlineSumJ: number;
  readonly hz: number;
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

const STAMP_SECONDS = /^\[\s*([0-9]+\.[0-9]+)\]/;
const ONOFF = /onoff: ([0-9]+)\/([0-9]+):([0-9]+)\/([0-9]+) (-?[0-9]+),([0-9]+):(-?[0-9]+),([0-9]+) ([0-9]+):([0-9]+) \(HZ=([0-9]+)\)/;
const LOCK_STATS = /-torture: (Writes|Reads ):\s+Total: ([0-9]+)\s+Max\/Min: ([0-9]+)\/([0-9]+)/;

function numbers(s: string): number[] {
  return s.trim().split(/\s+/).filter((x) => x !== '').map(Number).filter((n) => Number.isFinite(n));
}

export function consoleSeries(text: string): ConsoleSeries {
  const ver: [number, number][] = [];
  const onoff: OnoffPoint[] = [];
  const writes: LockPoint[] = [];
  const reads: LockPoint[] = [];
  let readerPipe: number[] | null = null;
  let readerBatch: number[] | null = null;
  for (const raw of text.split('\n')) {
    const ts = STAMP_SECONDS.exec(raw);
    const t = ts !== null ? Number(ts[1]) : Number.NaN;
    const l = stripStamp(raw);
    if (!l.includes('-torture:')) continue;
    const v = /-torture: rtc: \S+ ver: ([0-9]+)/.exec(l);
    if (v !== null && Number.isFinite(t)) ver.push([t, Number(v[1])]);
    const pipe = /-torture: Reader Pipe: (.*)$/.exec(l);
    if (pipe !== null) readerPipe = numbers(pipe[1] ?? '');
    const batch = /-torture: Reader Batch: (.*)$/.exec(l);
    if (batch !== null) readerBatch = numbers(batch[1] ?? '');
    const o = ONOFF.exec(l);
    if (o !== null && Number.isFinite(t)) {
      const n = o.slice(1).map(Number);
      onoff.push({
        t,
        onlineOk: n[0] ?? 0,
        onlineTry: n[1] ?? 0,
        offlineOk: n[2] ?? 0,
        offlineTry: n[3] ?? 0,
        onlineMinJ: n[4] ?? 0,
        onlineMaxJ: n[5] ?? 0,
        offlineMinJ: n[6] ?? 0,
        offlineMaxJ: n[7] ?? 0,
        onlineSumJ: n[8] ?? 0,
        offlineSumJ: n[9] ?? 0,
        hz: n[10] ?? 1000,
      });
    }
    const w = LOCK_STATS.exec(l);
    if (w !== null && Number.isFinite(t)) {
      const p = { t, total: Number(w[2]), max: Number(w[3]), min: Number(w[4]) };
      (w[1] === 'Writes' ? writes : reads).push(p);
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
