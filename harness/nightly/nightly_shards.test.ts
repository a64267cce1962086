import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkPage, chromiumMissing } from '../report/test_support/browser_page.js';
import type { BatteryRecord } from '../formats/battery_files.js';
import { coverageSummaryLine } from './battery_coverage.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

// A tiny battery (both BUSTED scenarios, short, and the lockdep examples)
// run once whole and once as two shards plus `torture merge`: the same verdicts either way.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'torture.js');
// The BUSTED steps run until they fail (the battery stops each at its `!!!`), however slowly a loaded host boots them.
const TINY = ['--do-none', '--do-busted', '--do-lockdep', '--duration', '30s'];
let results: string;

function torture(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, ...env }, timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function record(dir: string): BatteryRecord {
  return JSON.parse(readFileSync(path.join(dir, 'nightly.json'), 'utf8')) as BatteryRecord;
}

function verdicts(dir: string): Record<string, string> {
  return Object.fromEntries(record(dir).jobs.map((j) => [j.name, `${String(j.passed)} ${j.steps.map((s) => `${s.name}:${String(s.exitCode)}:${String(s.passed)}`).join(',')}`]));
}

interface JunitCase {
  '@_name': string;
  '@_classname': string;
  failure?: { '@_message': string; '#text'?: string };
  'system-out'?: string;
}

function junitCases(dir: string): JunitCase[] {
  const xml = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testcase' || name === 'testsuite' }).parse(readFileSync(path.join(dir, 'junit.xml'), 'utf8')) as {
    testsuites: { testsuite: { testcase: JunitCase[] }[] };
  };
  return xml.testsuites.testsuite.flatMap((s) => s.testcase);
}

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'harness', 'commands', 'job_child.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  results = makeTestTempDir('nightly');
});

describe('torture nightly, shards and merge', () => {
  it('counts the BUSTED failures as expected results, and two shards + merge give the same verdicts', { timeout: 600_000 }, async () => {
    const whole = torture(['nightly', ...TINY, '--results', results, '--datestamp', 'whole']);
    expect(whole.stderr).toBe('');
    expect(whole.status).toBe(0);
    const lines = whole.stdout.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toBe('Summary: Successes: 4 Failures: 0.');
    expect(lines).toContainEqual(expect.stringMatching(/^rcu-busted\(1\) .*whole\/rcu-busted \(expected: exit 1 with a torture FAILURE\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^lock-busted\(1\) /));
    expect(lines).toContainEqual(expect.stringMatching(/^object-busted\(1\) /));
    expect(lines).toContainEqual(expect.stringMatching(/^Started at .*, ended at .*, duration .*\.$/));
    const wholeDir = path.join(results, 'whole');
    for (const f of ['log', 'nightly.json', 'index.html', 'junit.xml', 'rcu-busted/run/BUSTED/console.log', 'lock-busted/run/BUSTED/console.log', 'object-busted/run/BUSTED/console.log', 'lockdep-examples/seed.out', 'lockdep-examples/job.json']) {
      expect(existsSync(path.join(wholeDir, f)), f).toBe(true);
    }

    for (const i of [1, 2]) {
      const r = torture(['nightly', ...TINY, '--shard', `${i}/2`, '--results', results, '--datestamp', `shard${i}`]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`Shard ${i}/2`);
    }
    const s1 = record(path.join(results, 'shard1')).jobs.map((j) => j.name);
    const s2 = record(path.join(results, 'shard2')).jobs.map((j) => j.name);
    expect(s1.length).toBeGreaterThan(0);
    expect(s2.length).toBeGreaterThan(0);
    expect([...s1, ...s2].sort()).toEqual(Object.keys(verdicts(wholeDir)).sort());

    // A shard given twice, or a battery of other options, is bad input.
    expect(torture(['merge', path.join(results, 'shard1'), path.join(results, 'shard1'), '--results', results]).status).toBe(2);
    expect(torture(['merge', path.join(results, 'shard1'), wholeDir, '--results', results]).status).toBe(2);

    const merged = torture(['merge', path.join(results, 'shard1'), path.join(results, 'shard2'), '--results', results, '--datestamp', 'merged']);
    expect(merged.status, merged.stdout + merged.stderr).toBe(0);
    expect(merged.stdout.trimEnd().split('\n').pop()).toBe('Summary: Successes: 4 Failures: 0.');
    // The merge's coverage lines sum its shards' scenarios, as the whole battery's sum its own
    // (harness/nightly/README.md, "Coverage"). Not compared with the whole battery's: a BUSTED
    // step is stopped at its `!!!` and its guest killed, so whether its coverage block was printed
    // first depends on the host's timing, run by run.
    const coverageLines = (out: string): string[] => out.split('\n').filter((l) => l.startsWith(' --- Coverage'));
    expect(coverageLines(whole.stdout)).toEqual([coverageSummaryLine([wholeDir])]);
    expect(coverageLines(merged.stdout)).toEqual([coverageSummaryLine([path.join(results, 'shard1'), path.join(results, 'shard2')])]);
    const mergedDir = path.join(results, 'merged');
    expect(verdicts(mergedDir)).toEqual(verdicts(wholeDir));
    expect(junitCases(mergedDir).map((c) => [c['@_name'], c.failure === undefined])).toEqual(junitCases(wholeDir).map((c) => [c['@_name'], c.failure === undefined]));
    expect(existsSync(path.join(mergedDir, 'rcu-busted', 'run', 'BUSTED', 'console.log'))).toBe(true);

    // Only one shard merged: the other's jobs are failures (not run), and the exit code says so.
    const half = torture(['merge', path.join(results, 'shard1'), '--results', results, '--datestamp', 'half']);
    expect(half.status).toBe(1);
    expect(half.stdout).toMatch(/not run: shard 2\/2 not among the merged directories/);

    const cases = junitCases(wholeDir);
    expect(cases.map((c) => c['@_name']).sort()).toEqual(['lock-busted', 'lockdep-examples', 'object-busted', 'rcu-busted']);
    expect(cases.every((c) => c.failure === undefined)).toBe(true);
    // The console up to the failure (the battery stops a BUSTED step at its `!!!`).
    expect(cases.find((c) => c['@_name'] === 'rcu-busted')?.['system-out']).toMatch(/busted-torture: !!! Reader Pipe:/);

    const missing = chromiumMissing();
    if (missing !== null && process.env['CI'] === undefined) return;
    const page = await checkPage(path.join(mergedDir, 'index.html'));
    expect(page.errors).toEqual([]);
    expect(page.network).toEqual([]);
    expect(page.rendered).toBe('yes');
    // rcu, lock and object BUSTED.
    expect(page.verdictRows).toBe(3);
    expect(page.canvases).toBeGreaterThanOrEqual(4);
    expect(existsSync(page.screenshot)).toBe(true);
  });

  it('a job that does not show its expectation fails the battery, with its reasons in the JUnit file', { timeout: 120_000 }, () => {
    // An "example" that is clean where the seed's report is expected.
    const examples = makeTestTempDir('examples');
    mkdirSync(examples, { recursive: true });
    writeFileSync(
      path.join(examples, 'seed.jsonl'),
      ['{"op":"acquire","task":"t","lock":"cpu_hotplug_lock","type":"percpu_rwsem"}', '{"op":"acquire","task":"t","lock":"slab_mutex","type":"mutex"}', '{"op":"release","task":"t","lock":"slab_mutex"}', '{"op":"release","task":"t","lock":"cpu_hotplug_lock"}'].join('\n') + '\n',
    );
    const r = torture(['nightly', '--do-none', '--do-lockdep', '--results', results, '--datestamp', 'failing'], { TORTURE_LOCKDEP_EXAMPLES: examples });
    expect(r.status).toBe(1);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('Summary: Successes: 0 Failures: 1.');
    expect(r.stdout).toMatch(/^FAILURES:\nlockdep-examples\(0\) /m);
    const [c] = junitCases(path.join(results, 'failing'));
    expect(c?.['@_classname']).toBe('torture.nightly.lockdep');
    expect(c?.failure?.['@_message']).toMatch(/expected exit 1 with 'WARNING: possible circular locking dependency detected' on cpu_hotplug_lock, slab_mutex, got exit 0 and no circular report/);
  });
});
