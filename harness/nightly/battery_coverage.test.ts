// The battery's coverage lines: a warning for a job whose clean runs left an expected point at 0
// (not for a run expected to fail), the points never reached anywhere, and the same lines for a
// merge of two shards as for the shards summed.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BatteryRecord, JobRecord } from '../formats/battery_files.js';
import { coverageBlockLines } from '../formats/coverage_block.js';
import { COVERAGE_SLOTS, type CoverageFacts } from '../formats/coverage_points.js';
import { collectCoverage, coverageTableLines, sumCoverage } from '../formats/coverage_sum.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';
import { batteryCoverageLines } from './battery_coverage.js';
import { mergeShards } from './merge_shards.js';

const root = makeTestTempDir('battery-coverage');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SPIN: CoverageFacts = { suite: 'lock', tortureType: 'spin_lock', onoff: false, preempt: true, smp: true };
/** Every spinlock point reached but pv_kick. */
const SPIN_NO_KICK = { 'spin.slowpath': 10, 'spin.pv_wait': 3 };
const SPIN_ALL = { 'spin.slowpath': 10, 'spin.pv_wait': 3, 'spin.pv_kick': 2 };

function scenario(dir: string, counts: Readonly<Record<string, number>>): void {
  mkdirSync(dir, { recursive: true });
  const c = COVERAGE_SLOTS.map((s) => counts[s.name] ?? 0);
  writeFileSync(path.join(dir, 'console.log'), [...coverageBlockLines(SPIN, c).map((l) => `[   30.000000] ${l}`), ''].join('\n'));
}

function job(name: string, exitCode: number, expect: string): JobRecord {
  const step = { name: 'run', command: 'torture --torture lock --configs LOCK01', expect, output: 'results-dir', state: 'done', exitCode, passed: true, reasons: [], seconds: 4 } as const;
  return { name, group: 'locktorture', what: 'LOCK01', cpuSeconds: 4, state: 'done', passed: true, reasons: [], seconds: 4, steps: [step] };
}

const SHARDS = [['lock-a'], ['lock-b', 'lock-busted']];

/** Shard `index` (0 = the whole battery): lock-a reaches every point, lock-b misses pv_kick, lock-busted (expected to fail) misses them all. */
function battery(name: string, index: 0 | 1 | 2): string {
  const dir = path.join(root, name);
  const jobs = { 'lock-a': job('lock-a', 0, 'exit 0'), 'lock-b': job('lock-b', 0, 'exit 0'), 'lock-busted': job('lock-busted', 1, 'exit 1 with a torture FAILURE') };
  const counts = { 'lock-a': SPIN_ALL, 'lock-b': SPIN_NO_KICK, 'lock-busted': {} };
  const mine = index === 0 ? SHARDS.flat() : (SHARDS[index - 1] ?? []);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'log'), 'torture nightly\n');
  for (const n of mine) scenario(path.join(dir, n, 'run', 'LOCK01'), counts[n as keyof typeof counts]);
  const r: BatteryRecord = {
    version: 1,
    commandLine: 'torture nightly',
    startedAt: '2026-12-06T20:00:00.000Z',
    endedAt: '2026-12-06T20:01:00.000Z',
    durationSec: 60,
    shard: index === 0 ? null : { index, count: 2 },
    shards: SHARDS,
    planned: SHARDS.flat().map((n) => ({ name: n, group: 'locktorture', what: 'LOCK01' })),
    perRunSec: {},
    jobs: mine.map((n) => jobs[n as keyof typeof jobs]),
  };
  writeFileSync(path.join(dir, 'nightly.json'), JSON.stringify(r));
  return dir;
}

describe('batteryCoverageLines', () => {
  it('warns for the clean job that left an expected point at 0, not for the run expected to fail', () => {
    const dir = battery('whole', 0);
    const r = JSON.parse(JSON.stringify({ jobs: [job('lock-a', 0, 'exit 0'), job('lock-b', 0, 'exit 0'), job('lock-busted', 1, 'x')] })) as BatteryRecord;
    const lines = batteryCoverageLines(dir, r);
    expect(lines).toEqual([
      ' --- Coverage warning: lock-b: 1 expected point never reached: spin.pv_kick',
      // cpuhp is not expected (onoff off), sched.migrate_lock_held not for spin_lock: the three spin points.
      ' --- Coverage: 3 scenarios, 3 of 3 expected points reached; never reached anywhere: none',
    ]);
  });

  it('names the points never reached anywhere', () => {
    const dir = path.join(root, 'cold');
    scenario(path.join(dir, 'lock-b', 'run', 'LOCK01'), SPIN_NO_KICK);
    const lines = batteryCoverageLines(dir, { jobs: [job('lock-b', 0, 'exit 0')] } as unknown as BatteryRecord);
    expect(lines.at(-1)).toBe(' --- Coverage: 1 scenario, 2 of 3 expected points reached; never reached anywhere: spin.pv_kick');
  });

  it('a merge of two shards prints the lines of the whole battery, and its table is the shards summed', () => {
    const s1 = battery('shard1', 1);
    const s2 = battery('shard2', 2);
    const out: string[] = [];
    const merged = path.join(root, 'merged');
    mergeShards([s1, s2], merged, 'torture merge', { out: (l) => out.push(l) });
    const whole = path.join(root, 'whole');
    const r = JSON.parse(JSON.stringify({ jobs: [job('lock-a', 0, 'exit 0'), job('lock-b', 0, 'exit 0'), job('lock-busted', 1, 'x')] })) as BatteryRecord;
    for (const l of batteryCoverageLines(whole, r)) expect(out).toContain(l);
    const table = (dirs: string[]): string[] => coverageTableLines(sumCoverage(collectCoverage(dirs).found));
    expect(table([merged])).toEqual(table([s1, s2]));
    expect(table([merged])).toEqual(table([whole]));
  });
});
