/*
 * Test time is test time: a guest measures its boot (process start to all CPUs up) apart from its
 * test, the torture clock (shutdown_secs) counts from the start of the test, and a run that tested
 * nothing is INCONCLUSIVE (exit 1), not a pass. Real guests and the real driver (bin/torture.js).
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bootDoneSeconds, endOfTestTag, stampSeconds } from '../formats/console_lines.js';
import type { ScenarioSummary } from '../formats/summary_json.js';
import { runGuest } from './run_guest.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// Generous: the host may be loaded (a run's own time is a few seconds).
const CAP_MS = 120_000;

function torture(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'torture.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('test time counts from the start of the test', () => {
  it('a guest whose boot is slowed by 2.5 s still tests for its full shutdown_secs, and says how long it booted', async () => {
    const run = await runGuest({
      suite: 'rcu',
      nrCpus: 2,
      durationSec: 2,
      bootParams: { 'rcutorture.shutdown_secs': '2', 'rcutorture.stat_interval': '1', 'torture.test_boot_delay_ms': '2500' },
    });
    try {
      expect(run.result?.end, run.console).toBe('poweroff');
      const lines = run.console.split('\n');
      const boot = lines.find((l) => bootDoneSeconds(l) !== null);
      const end = lines.find((l) => endOfTestTag(l) !== null);
      expect(boot, run.console).toBeDefined();
      expect(bootDoneSeconds(boot ?? '')).toBeGreaterThanOrEqual(2.5);
      expect(run.result?.bootSec).toBe(bootDoneSeconds(boot ?? ''));
      // The whole shutdown_secs of test after the boot, not 2 s counted from process start.
      expect(stampSeconds(end ?? '') - stampSeconds(boot ?? '')).toBeGreaterThanOrEqual(2);
      expect(endOfTestTag(end ?? '')).toBe('SUCCESS');
    } finally {
      rmSync(run.resdir, { recursive: true, force: true });
    }
  }, CAP_MS);
});

describe('a run that did not test is not a pass', () => {
  it('torture.test_idle_kthreads=1 (nothing runs): INCONCLUSIVE with its reason, exit 1, boot and test time in summary.json', async () => {
    const results = makeTestTempDir('inconclusive');
    try {
      const r = await torture(['--torture', 'lock', '--configs', 'LOCK01', '--duration', '2s', '--bootargs', 'torture.test_idle_kthreads=1', '--results', results, '--datestamp', 'idle']);
      expect(r.out).toMatch(/^INCONCLUSIVE: LOCK01: 0 acquisitions by the least busy writer in [0-9.]+ s of test \(at least \d+ needed, [0-9.]+\/s\)$/m);
      expect(r.out).toContain('1 runs inconclusive (too little tested to say).');
      expect(r.code).toBe(1);
      const s = JSON.parse(readFileSync(path.join(results, 'idle', 'LOCK01', 'summary.json'), 'utf8')) as ScenarioSummary;
      expect(s.verdict).toBe('inconclusive');
      expect(s.bootSec).toBeGreaterThan(0);
      // The boot-done line (the guest's main thread) and torture_shutdown (a CPU) read the clock
      // a moment apart: the whole 2 s, give or take a few ms.
      expect(s.testSec).toBeGreaterThan(1.9);
    } finally {
      rmSync(results, { recursive: true, force: true });
    }
  }, CAP_MS);
});
