// jobInconclusive(): a battery job is INCONCLUSIVE only when every failed step is a run that had to
// succeed and was too short to say; any real failure in the job makes the job a failure.
import { describe, expect, it } from 'vitest';
import { inconclusiveStepReason, jobInconclusive, type JobRecord, type StepRecord } from './battery_files.js';

function step(name: string, passed: boolean, reasons: string[]): StepRecord {
  return { name, command: `torture ${name}`, expect: 'success', output: 'results-dir', state: 'done', exitCode: passed ? 0 : 1, passed, reasons, seconds: 1 };
}

function job(steps: StepRecord[]): JobRecord {
  const passed = steps.every((s) => s.passed === true);
  return { name: 'seed', group: 'seed', what: '', cpuSeconds: 1, state: 'done', passed, reasons: [], seconds: 1, steps };
}

describe('jobInconclusive()', () => {
  it('is true only when every failed step was INCONCLUSIVE', () => {
    const short = step('fixed', false, [inconclusiveStepReason(1), 'TREE05: 0 grace periods in 0.04 s of test']);
    expect(jobInconclusive(job([short]))).toBe(true);
    expect(jobInconclusive(job([step('buggy', true, ['reported as it must']), short]))).toBe(true);
    // The seed's buggy order that reported nothing is a failure, whatever the other step was.
    const missed = step('buggy', false, ["expected exit 1 with 'possible circular locking dependency detected', got exit 0"]);
    expect(jobInconclusive(job([missed, short]))).toBe(false);
    expect(jobInconclusive(job([step('run', true, [])]))).toBe(false);
  });
});
