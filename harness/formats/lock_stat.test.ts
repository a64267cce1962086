/*
 * lock_stat's file format against the kernel's seq_stats()/seq_header() (lockdep_proc.c): the
 * expected text below was printed by the kernel's own printf formats (%40s, %14lu, %29s, ...)
 * for the same numbers, so a column one character off fails here.
 */

import { describe, expect, it } from 'vitest';
import {
  LOCKSTAT_POINTS,
  ZERO_TIME,
  addLockStat,
  countLockStatPoint,
  newLockStatClass,
  lockStatName,
  lockStatText,
  parseLockStat,
  snprintTime,
  topByWaitTime,
  type LockStatClass,
} from './lock_stat.js';

const W = 'lock_torture_writer (harness/torture/lock_torture.ts:169)';
const R = 'lock_torture_reader (harness/torture/lock_torture.ts:200)';

const rw: LockStatClass = {
  name: 'torture_rwlock',
  version: 1,
  subclass: 0,
  writeWait: { min: 170, max: 29921740, total: 30001234, nr: 3 },
  readWait: { min: 995, max: 1004, total: 1999, nr: 2 },
  writeHold: { min: 390, max: 127186800, total: 4846911270, nr: 2789310 },
  readHold: { min: 10, max: 20, total: 30, nr: 2 },
  bounces: [5, 6, 7, 8],
  contentionPoints: [
    { site: W, count: 3 },
    { site: R, count: 2 },
  ],
  contendingPoints: [{ site: W, count: 1 }],
};
const mutex: LockStatClass = {
  name: 'torture_mutex',
  version: 1,
  subclass: 0,
  writeWait: { min: 1, max: 1, total: 1, nr: 1 },
  readWait: ZERO_TIME,
  writeHold: { min: 5, max: 5, total: 5, nr: 1 },
  readHold: ZERO_TIME,
  bounces: [0, 1, 1, 0],
  contentionPoints: [{ site: 'writelock (x.ts:1)', count: 1 }],
  contendingPoints: [],
};
const long: LockStatClass = {
  name: 'a_very_long_lock_class_name_that_is_cut_here',
  version: 2,
  subclass: 1,
  writeWait: ZERO_TIME,
  readWait: ZERO_TIME,
  writeHold: { min: 1000, max: 2000, total: 3000, nr: 2 },
  readHold: ZERO_TIME,
  bounces: [0, 1, 0, 0],
  contentionPoints: [],
  contendingPoints: [],
};

/** Printed by the kernel's formats (a C program with seq_stats()'s printf calls) for rw, mutex, long. */
const KERNEL_TEXT = [
  "lock_stat version 0.4",
  "-----------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------",
  "                              class name    con-bounces    contentions   waittime-min   waittime-max waittime-total   waittime-avg    acq-bounces   acquisitions   holdtime-min   holdtime-max holdtime-total   holdtime-avg",
  "-----------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------------",
  "",
  "                        torture_rwlock-W:             7              3           0.17       29921.74       30001.23       10000.41              5        2789310           0.39      127186.80     4846911.27           1.74",
  "                        torture_rwlock-R:             8              2           1.00           1.00           2.00           1.00              6              2           0.01           0.02           0.03           0.02",
  "                        ----------------",
  "                          torture_rwlock              3          [<00000000222a6ac4>] lock_torture_writer (harness/torture/lock_torture.ts:169)",
  "                          torture_rwlock              2          [<000000003e48d80c>] lock_torture_reader (harness/torture/lock_torture.ts:200)",
  "                        ----------------",
  "                          torture_rwlock              1          [<00000000222a6ac4>] lock_torture_writer (harness/torture/lock_torture.ts:169)",
  "",
  ".............................................................................................................................................................................................................................",
  "",
  "                           torture_mutex:             1              1           0.00           0.00           0.00           0.00              0              1           0.01           0.01           0.01           0.01",
  "                           -------------",
  "                           torture_mutex              1          [<0000000066fe3db4>] writelock (x.ts:1)",
  "   a_very_long_lock_class_name_that_#2/1:             0              0           0.00           0.00           0.00           0.00              0              2           1.00           2.00           3.00           1.50",
  ""
].join('\n');

describe('lock_stat format (lockdep_proc.c)', () => {
  it('prints /proc/lock_stat to the character, sorted by contentions', () => {
    // Given in another order: lock_stat_open() sorts by contentions, the most first.
    expect(lockStatText([long, mutex, rw])).toBe(KERNEL_TEXT);
  });

  it('rounds times as snprint_time() (ns in, microseconds with two decimals out)', () => {
    expect(snprintTime(0)).toBe('0.00');
    expect(snprintTime(4)).toBe('0.00');
    expect(snprintTime(5)).toBe('0.01');
    expect(snprintTime(1234)).toBe('1.23');
    expect(snprintTime(1235)).toBe('1.24');
    expect(snprintTime(999995)).toBe('1000.00');
  });

  it('cuts names as seq_stats() (37 characters, 35 with #N, 33 with #N and /N)', () => {
    expect(lockStatName({ name: 'x'.repeat(50), version: 1, subclass: 0 })).toBe('x'.repeat(37));
    expect(lockStatName({ name: 'x'.repeat(50), version: 3, subclass: 0 })).toBe(`${'x'.repeat(35)}#3`);
    expect(lockStatName({ name: 'x'.repeat(50), version: 2, subclass: 4 })).toBe(`${'x'.repeat(33)}#2/4`);
  });

  it('reads its own text back (times at the printed 10 ns)', () => {
    const back = parseLockStat(KERNEL_TEXT);
    expect(back).not.toBeNull();
    expect(lockStatText(back ?? [])).toBe(KERNEL_TEXT);
    const r = back?.find((c) => c.name === 'torture_rwlock');
    expect(r?.bounces).toEqual([5, 6, 7, 8]);
    expect(r?.contentionPoints).toEqual(rw.contentionPoints);
    expect(r?.contendingPoints).toEqual(rw.contendingPoints);
    expect(r?.writeWait).toEqual({ min: 170, max: 29921740, total: 30001230, nr: 3 });
    expect(parseLockStat('not a lock_stat file')).toBeNull();
  });
});

describe('the one class shape while it is filled in (LockStatClassDraft)', () => {
  it('a new class counts nothing; the file reader and the trace timer fill the same draft', () => {
    const c = newLockStatClass('torture_mutex', 2, 1);
    expect(c).toEqual({ name: 'torture_mutex', version: 2, subclass: 1, writeWait: ZERO_TIME, readWait: ZERO_TIME, writeHold: ZERO_TIME, readHold: ZERO_TIME, bounces: [0, 0, 0, 0], contentionPoints: [], contendingPoints: [] });
    // Every field of a printed class, read back, is a field of the draft: nothing missing, nothing extra.
    const back = parseLockStat(KERNEL_TEXT)?.find((x) => x.name === 'torture_rwlock');
    expect(Object.keys(back ?? {}).sort()).toEqual(Object.keys(c).sort());
  });

  it('countLockStatPoint: a known site counts up, a new one takes a free slot, none past LOCKSTAT_POINTS', () => {
    const c = newLockStatClass('l', 1, 0);
    for (const site of ['a', 'b', 'a', 'c', 'd', 'e', 'a']) countLockStatPoint(c.contentionPoints, site);
    expect(LOCKSTAT_POINTS).toBe(4);
    expect(c.contentionPoints).toEqual([
      { site: 'a', count: 3 },
      { site: 'b', count: 1 },
      { site: 'c', count: 1 },
      { site: 'd', count: 1 },
    ]);
  });
});

describe('lock_stat sums (lock_stats() over runs)', () => {
  it('adds counts and totals, keeps min and max, merges points', () => {
    const other: LockStatClass = {
      ...rw,
      writeWait: { min: 100, max: 200, total: 300, nr: 2 },
      readWait: ZERO_TIME,
      bounces: [1, 1, 1, 1],
      contentionPoints: [{ site: R, count: 5 }],
      contendingPoints: [],
    };
    const sum = addLockStat([rw, mutex], [other, long]);
    expect(sum.map((c) => lockStatName(c))).toEqual(['torture_rwlock', 'torture_mutex', 'a_very_long_lock_class_name_that_#2/1']);
    const s = sum[0];
    expect(s?.writeWait).toEqual({ min: 100, max: 29921740, total: 30001534, nr: 5 });
    expect(s?.readWait).toEqual(rw.readWait);
    expect(s?.writeHold.nr).toBe(2 * 2789310);
    expect(s?.bounces).toEqual([6, 7, 8, 9]);
    expect(s?.contentionPoints).toEqual([
      { site: R, count: 7 },
      { site: W, count: 3 },
    ]);
  });

  it('ranks classes by total wait time', () => {
    expect(topByWaitTime([mutex, long, rw], 2).map((c) => c.name)).toEqual(['torture_rwlock', 'torture_mutex']);
  });
});
