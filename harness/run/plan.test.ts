import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TortureError } from '../errors.js';
import { formatBatches, formatScenarios, formatSched, planBatches } from './batches.js';
import { parseDuration } from '../cli/duration.js';
import { buildPlan, type RunOptions } from './plan.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

describe('parseDuration()', () => {
  it('reads a bare number as minutes, as kvm.sh does', () => {
    expect(parseDuration('10')).toBe(600);
  });
  it('accepts s, m, h, d', () => {
    expect([parseDuration('30s'), parseDuration('2m'), parseDuration('2h'), parseDuration('1d')]).toEqual([30, 120, 7200, 86400]);
  });
  it('rejects anything else with a USAGE error', () => {
    for (const bad of ['', '0', '0s', '10x', '1.5m', '-3', 's', '10 s', '99999999999999999d']) {
      expect(() => parseDuration(bad)).toThrow(TortureError);
    }
    expect(() => parseDuration('10x')).toThrow("Cannot use --duration as 'the duration' must be N[s|m|h|d] with N >= 1 (a bare number is minutes, as in kvm.sh): current value is 10x");
  });
});

describe('planBatches()', () => {
  const req = (baseName: string, cpus: number) => ({ baseName, cpus });

  it('sorts by decreasing CPU count and packs first-fit', () => {
    const b = planBatches([req('TINY01', 1), req('TREE05', 8), req('TREE03', 16), req('SRCU-N', 8), req('TREE04', 8)], 16);
    expect(b.map((x) => x.runs.map((r) => r.name))).toEqual([['TREE03'], ['SRCU-N', 'TREE04'], ['TREE05', 'TINY01']]);
    expect(b.flatMap((x) => x.runs).some((r) => r.ovf)).toBe(false);
  });

  it('gives an oversized scenario a batch of its own, tagged -ovf', () => {
    const b = planBatches([req('TREE05', 8), req('TREE07', 16), req('TINY01', 1)], 12);
    expect(b.map((x) => x.runs.map((r) => `${r.name}${r.ovf ? '-ovf' : ''}`))).toEqual([['TREE07-ovf'], ['TREE05', 'TINY01']]);
  });

  it('runs each scenario alone without a budget, and names repeats in schedule order', () => {
    const b = planBatches([req('TREE05', 8), req('TREE05', 8), req('TREE01', 8)], 0);
    expect(b.map((x) => x.runs.map((r) => r.name))).toEqual([['TREE01'], ['TREE05'], ['TREE05.2']]);
    expect(b.every((x) => x.runs.every((r) => !r.ovf))).toBe(true);
  });

  it('formats the three dry-run plans like kvm.sh', () => {
    const b = planBatches([req('TREE05', 8), req('TREE05', 8), req('TREE07', 16), req('TREE09', 1)], 12);
    expect(formatBatches(b)).toBe('1 TREE07 16\n2 TREE05 8\n2 TREE09 1\n3 TREE05.2 8\n');
    expect(formatScenarios(b)).toBe('1.  TREE07\n2.  TREE05 TREE09\n3.  TREE05.2\n');
    expect(formatSched(b)).toBe(
      '----Start batch 1\n TREE07 16-ovf\n----Start batch 2\n TREE05 8\n TREE09 1\n----Start batch 3\n TREE05.2 8\nTotal number of builds: 4\nTotal number of batches: 3\n',
    );
  });
});

describe('buildPlan()', () => {
  it('loads every scenario, expands CFLIST and names runs', () => {
    const root = makeTestTempDir('plan');
    mkdirSync(path.join(root, 'lock'));
    writeFileSync(path.join(root, 'lock', 'CFLIST'), 'LOCK01\nLOCK02\n');
    writeFileSync(path.join(root, 'lock', 'LOCK01'), 'CONFIG_SMP=y\nCONFIG_NR_CPUS=4\n');
    writeFileSync(path.join(root, 'lock', 'LOCK02'), 'CONFIG_SMP=y\nCONFIG_NR_CPUS=2\n');
    const o: RunOptions = {
      suite: 'lock',
      seed: 1,
      durationSec: 30,
      shutdownGraceSec: 15,
      ncpus: 6,
      configs: ['CFLIST', '2*LOCK02'],
      bootargs: [],
      kconfig: [],
      resultsRoot: '/tmp/r',
      datestamp: 'ds',
      commandLine: 'torture',
      configsRoot: root,
    };
    const p = buildPlan(o);
    expect(formatScenarios(p.batches)).toBe('1.  LOCK01 LOCK02\n2.  LOCK02.2 LOCK02.3\n');
    expect([...p.scenarios.keys()]).toEqual(['LOCK01', 'LOCK02', 'LOCK02.2', 'LOCK02.3']);
    expect(p.scenarios.get('LOCK02.3')?.name).toBe('LOCK02.3');
    expect(p.resdir).toBe('/tmp/r/ds');
  });
});
