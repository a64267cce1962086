/*
 * The battery's judge on an INCONCLUSIVE run: a job that must succeed does not pass when its run
 * tested too little, and says so (not merely `exit 1`); a finding is still a finding.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSummary, ScenarioSummary } from '../formats/summary_json.js';
import { judgeStep } from './expect.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

function scenario(name: string, verdict: ScenarioSummary['verdict'], reasons: string[]): ScenarioSummary {
  return { scenario: name, suite: 'rcu', verdict, reasons, lockdepReports: 0, lockdepTitles: [], hotplug: null, durationSec: 4, completedSec: 4, endOfTest: 'SUCCESS', guestRetval: 0, killed: false, headline: `${name} -------` };
}

function withSummary(scenarios: ScenarioSummary[], check: (dir: string) => void): void {
  const dir = makeTestTempDir('expect');
  try {
    const run: RunSummary = { resultsDir: dir, commandLine: 'torture', suite: 'rcu', seed: 1, exitCode: 1, runs: scenarios.length, failures: 0, configErrors: 0, scenarios };
    writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(run));
    check(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('judgeStep() and INCONCLUSIVE', () => {
  it('a success job whose run was INCONCLUSIVE fails, naming it and its reason', () => {
    withSummary([scenario('TREE03', 'inconclusive', ['0 grace periods in 0.04 s of test (at least 1 needed, 0.25/s)'])], (dir) => {
      expect(judgeStep({ kind: 'success' }, 1, '', dir)).toEqual({
        passed: false,
        reasons: ['exit 1: INCONCLUSIVE', 'TREE03: 0 grace periods in 0.04 s of test (at least 1 needed, 0.25/s)'],
      });
    });
  });

  it('a failure beside it is reported as a plain failure', () => {
    withSummary([scenario('TREE03', 'inconclusive', ['0 grace periods']), scenario('TREE05', 'failure', ['TREE05 FAILURE, 3 instances'])], (dir) => {
      expect(judgeStep({ kind: 'success' }, 1, '', dir).reasons[0]).toBe('exit 1');
    });
  });
});
