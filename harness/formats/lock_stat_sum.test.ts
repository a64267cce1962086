/*
 * lock_stat summed over results directories (two shards' runs, as `torture coverage` and a merged
 * battery sum them): per class lock_stats()'s sums of the files' classes.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTestTempDir } from '../test_support/temp_dir.js';
import { ZERO_TIME, lockStatText, parseLockStat, type LockStatClass } from './lock_stat.js';
import { collectLockStat } from './lock_stat_sum.js';

function cls(name: string, waitNr: number, waitTotal: number, holdNr: number, site: string): LockStatClass {
  return {
    name,
    version: 1,
    subclass: 0,
    writeWait: waitNr === 0 ? ZERO_TIME : { nr: waitNr, min: 1000, max: waitTotal - 1000 * (waitNr - 1), total: waitTotal },
    readWait: ZERO_TIME,
    writeHold: { nr: holdNr, min: 10, max: 5000, total: holdNr * 100 },
    readHold: ZERO_TIME,
    bounces: [holdNr / 10, 0, waitNr, 0],
    contentionPoints: waitNr === 0 ? [] : [{ site, count: waitNr }],
    contendingPoints: [],
  };
}

/** A scenario directory as a guest leaves it (a console, so it is one), with its lock_stat. */
function scenario(root: string, name: string, classes: readonly LockStatClass[] | null): void {
  const d = path.join(root, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'console.log'), '[    0.000000] Linux version\n');
  if (classes !== null) writeFileSync(path.join(d, 'lock_stat'), lockStatText(classes));
}

describe('lock_stat over runs (torture coverage, merge)', () => {
  it('sums every scenario with a lock_stat file, per class', () => {
    const tmp = makeTestTempDir('lock-stat-sum');
    const a = path.join(tmp, 'shard1', 'run');
    const b = path.join(tmp, 'shard2', 'run');
    scenario(a, 'LOCK02', [cls('torture_mutex', 10, 50_000, 1000, 'writelock (a.ts:1)'), cls('cpu_add_remove_lock', 0, 0, 40, '')]);
    scenario(b, 'LOCK02', [cls('torture_mutex', 30, 90_000, 3000, 'writelock (a.ts:1)')]);
    scenario(b, 'LOCK01', null); // CONFIG_LOCK_STAT=n: no file, not counted
    const sum = collectLockStat([path.join(tmp, 'shard1'), path.join(tmp, 'shard2')]);
    expect(sum.scenarios).toBe(2);
    const m = sum.classes.find((c) => c.name === 'torture_mutex');
    expect(m?.writeWait).toEqual({ nr: 40, min: 1000, max: 61_000, total: 140_000 });
    expect(m?.writeHold).toEqual({ nr: 4000, min: 10, max: 5000, total: 400_000 });
    expect(m?.bounces).toEqual([400, 0, 40, 0]);
    expect(m?.contentionPoints).toEqual([{ site: 'writelock (a.ts:1)', count: 40 }]);
    expect(sum.classes.find((c) => c.name === 'cpu_add_remove_lock')?.writeHold.nr).toBe(40);
    // The sum prints and reads back as a lock_stat file of its own.
    expect(parseLockStat(lockStatText(sum.classes))?.map((c) => c.name)).toEqual(['torture_mutex', 'cpu_add_remove_lock']);
  });

  it('finds none where no scenario has one', () => {
    const tmp = makeTestTempDir('lock-stat-none');
    scenario(tmp, 'LOCK01', null);
    expect(collectLockStat([tmp])).toEqual({ scenarios: 0, classes: [] });
  });
});
