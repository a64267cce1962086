/*
 * lock_stat of a timed lock trace (`torture lockdep --lock-stat`): the optional "ts",
 * "acquired_ts" and "cpu" keys, lockdep.c's statistics from them, and bad input.
 */

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTortureError } from '../../errors.js';
import { parseLockStat } from '../../formats/lock_stat.js';
import { makeTestTempDir } from '../../test_support/temp_dir.js';
import { lockdepCommand } from './trace_cli.js';
import { TraceLockStat, traceLockStat } from './trace_lock_stat.js';

const dir = makeTestTempDir('trace-lock-stat');
let n = 0;
function trace(events: readonly object[]): string {
  const f = path.join(dir, `t${n++}.jsonl`);
  writeFileSync(f, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return f;
}

const TIMED = [
  { op: 'acquire', task: 'A', lock: 'big_lock', type: 'mutex', ts: 1000, cpu: 0 },
  // B asks at 1,500 and gets it at 4,000 on CPU 1: a contention of 2,500 ns, a bounce each way.
  { op: 'acquire', task: 'B', lock: 'big_lock', type: 'mutex', ts: 1500, acquired_ts: 4000, cpu: 1, stack: ['worker_b (b.c:12)'] },
  { op: 'release', task: 'A', lock: 'big_lock', ts: 3900 },
  { op: 'release', task: 'B', lock: 'big_lock', ts: 5000 },
  { op: 'acquire', task: 'A', lock: 'table_lock', type: 'rwlock', mode: 'read', ts: 6000, cpu: 0 },
  { op: 'release', task: 'A', lock: 'table_lock', ts: 6100 },
  // A trylock: held, never waited, no acquisition bounce; an untimed pair is not counted.
  { op: 'acquire', task: 'B', lock: 'big_lock', try: true, ts: 7000, cpu: 3 },
  { op: 'release', task: 'B', lock: 'big_lock', ts: 7010 },
  { op: 'acquire', task: 'B', lock: 'big_lock' },
  { op: 'release', task: 'B', lock: 'big_lock' },
];

describe('lock_stat of a timed trace', () => {
  it('times holds and waits, counts bounces and contention points', () => {
    const acc = new TraceLockStat('t');
    TIMED.forEach((e, i) => acc.event(i + 1, e as Record<string, unknown>));
    const [big, table] = acc.classes();
    expect(big?.writeHold).toEqual({ nr: 3, min: 10, max: 2900, total: 2900 + 1000 + 10 });
    expect(big?.writeWait).toEqual({ nr: 1, min: 2500, max: 2500, total: 2500 });
    expect(big?.bounces).toEqual([1, 0, 1, 0]);
    expect(big?.contentionPoints).toEqual([{ site: 'worker_b (b.c:12)', count: 1 }]);
    expect(table?.readHold).toEqual({ nr: 1, min: 100, max: 100, total: 100 });
    expect(table?.writeHold.nr).toBe(0);
  });

  it('prints it after the check with --lock-stat, and refuses a trace without "ts" or a bad one', async () => {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: () => {} };
    expect(await lockdepCommand({ traces: [trace(TIMED)], all: false, json: false, lockStat: true }, io)).toBe(0);
    const at = out.findIndex((l) => l.startsWith('lock_stat of '));
    expect(at).toBeGreaterThan(0);
    const classes = parseLockStat(out.slice(at + 1).join('\n') + '\n');
    expect(classes?.map((c) => c.name)).toEqual(['big_lock', 'table_lock']);
    const untimed = trace([{ op: 'acquire', task: 'a', lock: 'A', type: 'mutex' }]);
    await expect(traceLockStat(untimed)).rejects.toThrow(/must carry "ts": current value has none/);
    const badTs = trace([{ op: 'acquire', task: 'a', lock: 'A', type: 'mutex', ts: -1 }]);
    const e = await traceLockStat(badTs).catch((x: unknown) => x);
    expect(isTortureError(e) && e.message).toMatch(/t\d+\.jsonl:1: Cannot time the event as 'ts' must be a number of nanoseconds >= 0: current value is -1$/);
    // The same trace without --lock-stat is an ordinary trace: the keys are ignored.
    expect(await lockdepCommand({ traces: [badTs], all: false, json: false }, io)).toBe(0);
  });
});
