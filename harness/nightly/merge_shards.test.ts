// torture merge: a job whose directory is gone, or a scenario one of its runs planned that is
// gone, is a failure (`missing`) in the merged battery, never silently dropped.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BatteryRecord, JobRecord } from '../formats/battery_files.js';
import { lockResults } from '../recheck/test_support/lock_results.js';
import { mergeShards } from './merge_shards.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

const root = makeTestTempDir('merge');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SHARDS = [['lock-a'], ['lock-b']];

function job(name: string): JobRecord {
  const step = { name: 'run', command: 'torture --torture lock --configs "LOCK01 LOCK02"', expect: 'exit 0', output: 'results-dir', state: 'done', exitCode: 0, passed: true, reasons: [], seconds: 4 } as const;
  return { name, group: 'locktorture', what: 'LOCK01 LOCK02', cpuSeconds: 8, state: 'done', passed: true, reasons: [], seconds: 4, steps: [step] };
}

/** Shard `index` of a two-job battery: its one job passed, its run's plan naming LOCK01 and LOCK02. */
function shard(index: 1 | 2): string {
  const dir = path.join(root, `shard${index}`);
  const name = SHARDS[index - 1]?.[0] ?? '';
  mkdirSync(path.join(dir, name, 'run'), { recursive: true });
  writeFileSync(path.join(dir, 'log'), `torture nightly --shard ${index}/2\n`);
  lockResults(path.join(dir, name, 'run'), { batches: true });
  const r: BatteryRecord = {
    version: 1,
    commandLine: `torture nightly --shard ${index}/2`,
    startedAt: '2026-12-06T20:00:00.000Z',
    endedAt: '2026-12-06T20:01:00.000Z',
    durationSec: 60,
    shard: { index, count: 2 },
    shards: SHARDS,
    planned: SHARDS.flat().map((n) => ({ name: n, group: 'locktorture', what: 'LOCK01 LOCK02' })),
    perRunSec: {},
    jobs: [job(name)],
  };
  writeFileSync(path.join(dir, 'nightly.json'), JSON.stringify(r));
  return dir;
}

describe('mergeShards', () => {
  it("fails a job whose directory is gone and one whose run lost a planned scenario, with the reason 'missing'", () => {
    const s1 = shard(1);
    const s2 = shard(2);
    rmSync(path.join(s2, 'lock-b'), { recursive: true });
    const out: string[] = [];
    const merged = path.join(root, 'merged');
    expect(mergeShards([s1, s2], merged, 'torture merge', { out: (l) => out.push(l) })).toBe(1);
    const rec = JSON.parse(readFileSync(path.join(merged, 'nightly.json'), 'utf8')) as BatteryRecord;
    expect(rec.jobs.map((j) => [j.name, j.passed, j.reasons])).toEqual([
      ['lock-a', false, [`missing: ${path.join(s1, 'lock-a', 'run', 'LOCK02')} (planned, no scenario directory)`]],
      ['lock-b', false, [`missing: ${path.join(s2, 'lock-b')} (the job's directory is gone)`]],
    ]);
    expect(out).toContain('Summary: Successes: 0 Failures: 2.');
    const junit = readFileSync(path.join(merged, 'junit.xml'), 'utf8');
    expect(junit.match(/<failure /g)).toHaveLength(2);
  });
});
