// A run the plan names whose directory is gone is a failure (`missing`) in recheck, summary.json,
// JUnit and the report alike: it never silently disappears (exit 0, junit tests="1").
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { collectReport } from '../report/collect.js';
import { renderJunit } from '../report/junit.js';
import { REPORT_WRITERS } from '../report/report_writers.js';
import { recheckResults } from './recheck.js';
import { lockResults } from './test_support/lock_results.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function results(plan: { batches?: boolean; scenarios?: boolean }): string {
  const dir = lockResults(makeTestTempDir('missing'), plan);
  made.push(dir);
  return dir;
}

interface Case {
  '@_name': string;
  failure?: { '@_message': string };
}

function junitCases(xml: string): Case[] {
  const doc = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testcase' || n === 'testsuite' }).parse(xml) as { testsuites: { testsuite: { testcase: Case[] }[] } };
  return doc.testsuites.testsuite.flatMap((s) => s.testcase);
}

describe('a planned run without its directory', () => {
  it('recheck: a failure with the reason `missing`, in the text, summary.json and junit.xml; nothing created for it', () => {
    const dir = results({ batches: true, scenarios: true });
    const r = recheckResults(dir, REPORT_WRITERS);
    expect(r.summary).toMatchObject({ runs: 2, failures: 1, exitCode: 1 });
    expect(r.exitCode).toBe(1);
    const lock02 = r.summary.scenarios.find((s) => s.scenario === 'LOCK02');
    expect(lock02).toMatchObject({ verdict: 'failure', reasons: ['missing'] });
    expect(r.lines).toContain('BUG: LOCK02: missing: planned but no scenario directory');
    expect(r.summary.scenarios.find((s) => s.scenario === 'LOCK01')?.verdict).toBe('success');
    // The damaged plan's `../outside` is not a run name: never judged, never written.
    expect(r.summary.scenarios.map((s) => s.scenario)).toEqual(['LOCK01', 'LOCK02']);
    expect(existsSync(path.join(dir, 'LOCK02'))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'))).toMatchObject({ runs: 2, failures: 1 });
    const cases = junitCases(readFileSync(path.join(dir, 'junit.xml'), 'utf8'));
    expect(cases.map((c) => [c['@_name'], c.failure?.['@_message'] ?? 'pass'])).toEqual([['LOCK01', 'pass'], ['LOCK02', 'missing']]);
    expect(readFileSync(path.join(dir, 'index.html'), 'utf8')).toContain('1 of 2 scenario runs succeeded.');
  });

  it('report (no recheck before it) shows it the same way, and `scenarios` alone is plan enough', () => {
    const dir = results({ scenarios: true });
    const m = collectReport(dir);
    expect(m.scenarios.map((s) => [s.id, s.passed, s.summary.reasons])).toEqual([
      ['LOCK01', true, []],
      ['LOCK02', false, ['missing']],
    ]);
    expect(junitCases(renderJunit(m)).map((c) => c.failure?.['@_message'] ?? 'pass')).toEqual(['pass', 'missing']);
  });

  it('a run with no plan file (older results) is judged on the directories present, as before', () => {
    const r = recheckResults(results({}));
    expect(r.summary).toMatchObject({ runs: 1, failures: 0, exitCode: 0 });
  });
});
