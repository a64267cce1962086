/*
 * lock_stat (CONFIG_LOCK_STAT): per lock class, how often and how long it was contended and held,
 * in the kernel's /proc/lock_stat format (kernel/locking/lockdep_proc.c: seq_header(),
 * seq_stats(), snprint_time(); Documentation/locking/lockstat.rst), to the character:
 *
 *   lock_stat version 0.4
 *   -----------------------------------------------------------------------------------------... (221 '-')
 *                                 class name    con-bounces    contentions   waittime-min ... holdtime-avg
 *   -----------------------------------------------------------------------------------------...
 *   <empty line>
 *                            torture_mutex:          12           34           0.05 ...
 *                            ---------------
 *                            torture_mutex           34          [<...>] torture_mutex_lock (...)
 *   <empty line>
 *   .........................................................................................
 *   <empty line>
 *
 * A class with read and write acquisitions prints two rows, `name-W:` and `name-R:`; times are
 * nanoseconds printed as microseconds with two decimals (rounded, as snprint_time()). Rows are
 * sorted by contentions (read + write), the most first, as lock_stat_open() sorts them; equal
 * counts keep the order they were given in (the class table's; the kernel's heap sort leaves it
 * unspecified).
 *
 * The same rows are read back from a `lock_stat` file (parseLockStat: times at the printed
 * precision), summed over runs (addLockStat: lock_stats()'s lock_time_add() and counter sums) and
 * ranked by wait time for the report (topByWaitTime).
 */

import { fnv1a } from '../lib/fnv1a.js';

/** struct lock_time, in nanoseconds. */
export interface LockTime {
  readonly nr: number;
  readonly min: number;
  readonly max: number;
  readonly total: number;
}

/** A contention or contending point: the call site and how often it contended. */
export interface LockStatPoint {
  readonly site: string;
  readonly count: number;
}

/** enum bounce_type's order. */
export const BOUNCE_TYPES = ['acquired_write', 'acquired_read', 'contended_write', 'contended_read'] as const;
export const LOCKSTAT_POINTS = 4;

/** One lock class's statistics (struct lock_class_stats summed over CPUs, with its class's name and points). */
export interface LockStatClass {
  /** The class name (`lock_class.name`), without `#N` or `/N`. */
  readonly name: string;
  /** name_version: 1 for the first class of this name, N for the N-th (printed `#N` when > 1). */
  readonly version: number;
  /** Subclass (printed `/N` when non-zero). */
  readonly subclass: number;
  readonly writeWait: LockTime;
  readonly readWait: LockTime;
  readonly writeHold: LockTime;
  readonly readHold: LockTime;
  /** BOUNCE_TYPES order. */
  readonly bounces: readonly [number, number, number, number];
  readonly contentionPoints: readonly LockStatPoint[];
  readonly contendingPoints: readonly LockStatPoint[];
}

/**
 * A LockStatClass while it is filled in (a `lock_stat` file being parsed, a lock trace being
 * timed): the same fields, writable. The one shape of both; a draft is a LockStatClass as it is.
 */
export type LockStatClassDraft = { -readonly [K in Exclude<keyof LockStatClass, 'bounces' | 'contentionPoints' | 'contendingPoints'>]: LockStatClass[K] } & {
  bounces: [number, number, number, number];
  contentionPoints: LockStatPoint[];
  contendingPoints: LockStatPoint[];
};

/** A class with nothing counted yet. */
export function newLockStatClass(name: string, version: number, subclass: number): LockStatClassDraft {
  return { name, version, subclass, writeWait: ZERO_TIME, readWait: ZERO_TIME, writeHold: ZERO_TIME, readHold: ZERO_TIME, bounces: [0, 0, 0, 0], contentionPoints: [], contendingPoints: [] };
}

/**
 * One more contention at `site` (lock_contended()'s lookup of the class's points): counted if the
 * site is already a point or a slot is free (LOCKSTAT_POINTS, as the kernel keeps), else dropped.
 */
export function countLockStatPoint(points: LockStatPoint[], site: string): void {
  const i = points.findIndex((p) => p.site === site);
  if (i >= 0) points[i] = { site, count: (points[i]?.count ?? 0) + 1 };
  else if (points.length < LOCKSTAT_POINTS) points.push({ site, count: 1 });
}

export const LOCK_STAT_HEADER = 'lock_stat version 0.4';
const WIDTH = 40 + 1 + 12 * (14 + 1);
const COLUMNS = [
  'class name',
  'con-bounces',
  'contentions',
  'waittime-min',
  'waittime-max',
  'waittime-total',
  'waittime-avg',
  'acq-bounces',
  'acquisitions',
  'holdtime-min',
  'holdtime-max',
  'holdtime-total',
  'holdtime-avg',
] as const;

export const ZERO_TIME: LockTime = { nr: 0, min: 0, max: 0, total: 0 };

/** seq_line(): `offset` spaces, then `length` times `c`. */
function seqLine(c: string, offset: number, length: number): string {
  return ' '.repeat(Math.max(0, offset)) + c.repeat(Math.max(0, length));
}

const padL = (s: string | number, w: number): string => String(s).padStart(w);

/** snprint_time(): nanoseconds as `%lld.%02d` microseconds, rounded to the hundredth. */
export function snprintTime(ns: number): string {
  const nr = Math.trunc(ns) + 5;
  const div = Math.trunc(nr / 1000);
  const rem = nr - div * 1000;
  return `${div}.${String(Math.trunc(rem / 10)).padStart(2, '0')}`;
}

/** seq_lock_time(): nr, then min, max, total and average as ` %14s` times. */
function seqLockTime(lt: LockTime): string {
  const avg = lt.nr > 0 ? Math.floor(lt.total / lt.nr) : 0;
  return `${padL(lt.nr, 14)}${[lt.min, lt.max, lt.total, avg].map((t) => ` ${padL(snprintTime(t), 14)}`).join('')}`;
}

/** A pseudo address for a call site, `%p`-style (a hashed pointer: 8 zeros, then 8 hex digits). */
export function siteAddress(site: string): string {
  return `00000000${(fnv1a(site) >>> 0).toString(16).padStart(8, '0')}`;
}

/** The class's printed name and its length (seq_stats(): the name cut to 37, 35 or 33 characters, then `#N`, `/N`). */
export function lockStatName(c: Pick<LockStatClass, 'name' | 'version' | 'subclass'>): string {
  let namelen = 38;
  if (c.version > 1) namelen -= 2;
  if (c.subclass !== 0) namelen -= 2;
  // snprintf(name, namelen, ...) keeps namelen - 1 characters.
  let name = c.name.slice(0, namelen - 1);
  if (c.version > 1) name += `#${c.version}`.slice(0, 2);
  if (c.subclass !== 0) name += `/${c.subclass}`.slice(0, 2);
  return name;
}

/** seq_header(). */
export function lockStatHeaderLines(): string[] {
  const cols = `${padL(COLUMNS[0], 40)}${COLUMNS.slice(1).map((c) => ` ${padL(c, 14)}`).join('')}`;
  return [LOCK_STAT_HEADER, seqLine('-', 0, WIDTH), cols, seqLine('-', 0, WIDTH), ''];
}

/** seq_stats(): one class's rows and points. */
export function lockStatClassLines(c: LockStatClass): string[] {
  const out: string[] = [];
  const name = lockStatName(c);
  let namelen = name.length;
  const [acqW, acqR, conW, conR] = c.bounces;
  if (c.writeHold.nr > 0) {
    const label = c.readHold.nr > 0 ? `${padL(name, 38)}-W:` : `${padL(name, 40)}:`;
    out.push(`${label}${padL(conW, 14)} ${seqLockTime(c.writeWait)} ${padL(acqW, 14)} ${seqLockTime(c.writeHold)}`);
  }
  if (c.readHold.nr > 0) {
    out.push(`${padL(name, 38)}-R:${padL(conR, 14)} ${seqLockTime(c.readWait)} ${padL(acqR, 14)} ${seqLockTime(c.readHold)}`);
  }
  if (c.readWait.nr + c.writeWait.nr === 0) return out;
  if (c.readHold.nr > 0) namelen += 2;
  let printed = false;
  for (const points of [c.contentionPoints, c.contendingPoints]) {
    for (const [i, pt] of points.slice(0, LOCKSTAT_POINTS).entries()) {
      if (i === 0) out.push(seqLine('-', 40 - namelen, namelen));
      out.push(`${padL(name, 40)} ${padL(pt.count, 14)} ${padL(`[<${siteAddress(pt.site)}>]`, 29)} ${pt.site}`);
    }
    printed = points.length > 0;
  }
  if (printed) out.push('', seqLine('.', 0, WIDTH), '');
  return out;
}

/** Contentions of a class: the sort key of lock_stat_open(). */
export function contentions(c: LockStatClass): number {
  return c.readWait.nr + c.writeWait.nr;
}

/** The whole file, classes sorted as lock_stat_open() sorts them (stable for equal counts). */
export function lockStatText(classes: readonly LockStatClass[]): string {
  const sorted = classes.map((c, i) => ({ c, i })).sort((a, b) => contentions(b.c) - contentions(a.c) || a.i - b.i);
  return [...lockStatHeaderLines(), ...sorted.flatMap(({ c }) => lockStatClassLines(c))].join('\n') + '\n';
}

/* ---------------- reading back ---------------- */

/** A `%14s` time column back to nanoseconds (at the printed precision: 10 ns). */
function parseTime(s: string): number {
  const m = /^(\d+)\.(\d\d)$/.exec(s);
  if (m === null) return Number.NaN;
  return Number(m[1]) * 1000 + Number(m[2]) * 10;
}

function parseLockTime(f: readonly string[]): LockTime {
  return { nr: Number(f[0]), min: parseTime(f[1] ?? ''), max: parseTime(f[2] ?? ''), total: parseTime(f[3] ?? '') };
}

function splitName(printed: string): { name: string; version: number; subclass: number } {
  const m = /^(.*?)(?:#(\d))?(?:\/(\d))?$/.exec(printed);
  return { name: m?.[1] ?? printed, version: m?.[2] !== undefined ? Number(m[2]) : 1, subclass: m?.[3] !== undefined ? Number(m[3]) : 0 };
}

const ROW = /^\s*(.+?)(-W|-R)?:\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$/;
const POINT = /^\s*(\S.*?)\s+(\d+)\s+\[<([0-9a-f]+)>\] (.*)$/;
const DASHES = /^\s+-+$/;

/**
 * The classes of a `lock_stat` file (null: not one). Times come back at the file's precision
 * (10 ns); the points come back in the file's order (contention points before contending points:
 * a class's second run of dashes starts the contending list).
 */
export function parseLockStat(text: string): LockStatClass[] | null {
  const lines = text.split('\n');
  if (lines[0] !== LOCK_STAT_HEADER) return null;
  const out: LockStatClassDraft[] = [];
  let cur: LockStatClassDraft | null = null;
  let dashes = 0;
  for (const line of lines.slice(5)) {
    const r = ROW.exec(line);
    if (r !== null) {
      const n = splitName(r[1] ?? '');
      if (cur === null || r[2] !== '-R' || cur.name !== n.name || cur.version !== n.version || cur.subclass !== n.subclass) {
        cur = newLockStatClass(n.name, n.version, n.subclass);
        out.push(cur);
        dashes = 0;
      }
      const wait = parseLockTime(r.slice(4, 8) as string[]);
      const hold = parseLockTime(r.slice(10, 14) as string[]);
      if (r[2] === '-R') {
        cur.readWait = wait;
        cur.readHold = hold;
        cur.bounces[3] = Number(r[3]);
        cur.bounces[1] = Number(r[9]);
      } else {
        cur.writeWait = wait;
        cur.writeHold = hold;
        cur.bounces[2] = Number(r[3]);
        cur.bounces[0] = Number(r[9]);
      }
      continue;
    }
    if (cur === null) continue;
    if (DASHES.test(line)) {
      dashes++;
      continue;
    }
    const p = POINT.exec(line);
    if (p !== null) {
      const pt = { site: p[4] ?? '', count: Number(p[2]) };
      (dashes <= 1 ? cur.contentionPoints : cur.contendingPoints).push(pt);
    }
  }
  return out;
}

/* ---------------- summing ---------------- */

/** lock_time_add(). */
export function addLockTime(a: LockTime, b: LockTime): LockTime {
  if (b.nr === 0) return a;
  if (a.nr === 0) return b;
  return { nr: a.nr + b.nr, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max), total: a.total + b.total };
}

/** lock_time_inc(): one more sample. */
export function lockTimeInc(a: LockTime, t: number): LockTime {
  return addLockTime(a, { nr: 1, min: t, max: t, total: t });
}

function addPoints(a: readonly LockStatPoint[], b: readonly LockStatPoint[]): LockStatPoint[] {
  const m = new Map<string, number>();
  for (const p of [...a, ...b]) m.set(p.site, (m.get(p.site) ?? 0) + p.count);
  // Up to LOCKSTAT_POINTS sites as the kernel keeps; over several runs the most frequent ones.
  return [...m].map(([site, count]) => ({ site, count })).sort((x, y) => y.count - x.count).slice(0, LOCKSTAT_POINTS);
}

/** A class's key across runs: its printed name. */
export function lockStatKey(c: LockStatClass): string {
  return lockStatName(c);
}

/** The sum of two sets of classes (runs, shards): per class, lock_stats()'s sums; classes of either side kept. */
export function addLockStat(a: readonly LockStatClass[], b: readonly LockStatClass[]): LockStatClass[] {
  const by = new Map<string, LockStatClass>();
  for (const c of [...a, ...b]) {
    const k = lockStatKey(c);
    const o = by.get(k);
    if (o === undefined) {
      by.set(k, c);
      continue;
    }
    by.set(k, {
      name: o.name,
      version: o.version,
      subclass: o.subclass,
      writeWait: addLockTime(o.writeWait, c.writeWait),
      readWait: addLockTime(o.readWait, c.readWait),
      writeHold: addLockTime(o.writeHold, c.writeHold),
      readHold: addLockTime(o.readHold, c.readHold),
      bounces: [o.bounces[0] + c.bounces[0], o.bounces[1] + c.bounces[1], o.bounces[2] + c.bounces[2], o.bounces[3] + c.bounces[3]],
      contentionPoints: addPoints(o.contentionPoints, c.contentionPoints),
      contendingPoints: addPoints(o.contendingPoints, c.contendingPoints),
    });
  }
  return [...by.values()];
}

/** Total wait time of a class (ns), read and write. */
export function waitTotal(c: LockStatClass): number {
  return c.readWait.total + c.writeWait.total;
}

/** The `n` classes that waited longest, the longest first (the report's table). */
export function topByWaitTime(classes: readonly LockStatClass[], n: number): LockStatClass[] {
  return [...classes].sort((x, y) => waitTotal(y) - waitTotal(x) || contentions(y) - contentions(x)).slice(0, n);
}
