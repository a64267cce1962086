/*
 * junit.xml for any results directory: one <testcase> per battery job (classname
 * `torture.nightly.<group>`) or, for a plain run, per scenario run (`torture.<suite>`). A failed
 * case carries its reasons as the failure message and the first lines of the splat as its body;
 * an INCONCLUSIVE one (too little tested to say) is an <error>, neither a pass nor a finding;
 * the console's tail (or the step's output) is its system-out. Written with junit-report-builder
 * (Jenkins/GitLab/GitHub-compatible JUnit XML).
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as junitModule from 'junit-report-builder';
import type { Builder } from 'junit-report-builder';
import { jobInconclusive } from '../formats/battery_files.js';
import { writeFileAtomic } from '../lib/write_file_atomic.js';
import type { RunVerdict } from '../recheck/verdict.js';
import { collectReport, type ReportModel, type ScenarioView } from './collect.js';

export const JUNIT_FILE = 'junit.xml';

// The package is CommonJS whose module.exports is the builder; its typings describe an ES default.
const junitBuilder = (junitModule as unknown as { readonly default: Builder }).default;
const OUTPUT_TAIL_LINES = 40;

/** XML 1.0 cannot carry most control characters, even escaped. */
function xmlSafe(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?');
}

function tail(text: string, n: number): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-n).join('\n');
}

function readTail(f: string): string {
  try {
    return tail(readFileSync(f, 'utf8'), OUTPUT_TAIL_LINES);
  } catch {
    return '';
  }
}

export function renderJunit(m: ReportModel): string {
  const b = junitBuilder.newBuilder();
  const suite = b.testSuite().name(m.title);
  const byJob = new Map<string, ScenarioView[]>();
  for (const s of m.scenarios) if (s.job !== null) byJob.set(s.job, [...(byJob.get(s.job) ?? []), s]);
  if (m.battery !== null) {
    for (const j of m.battery.jobs) {
      const tc = suite.testCase().className(`torture.nightly.${j.group}`).name(j.name).time(j.seconds ?? 0);
      const views = byJob.get(j.name) ?? [];
      const outs = Object.values(m.stepOutputs[j.name] ?? {}).map((rel) => `--- ${rel}\n${readTail(path.join(m.dir, rel))}`);
      const consoles = views.map((v) => `--- ${v.consoleRel ?? v.id}\n${v.consoleTail}`);
      tc.standardOutput(xmlSafe([...outs, ...consoles].join('\n')));
      if (jobInconclusive(j)) {
        tc.error(xmlSafe(`INCONCLUSIVE: ${j.reasons.join('; ')}`), 'inconclusive');
      } else if (j.passed !== true) {
        const splat = views.map((v) => v.splatHead).find((x) => x !== '') ?? '';
        tc.failure(xmlSafe(j.reasons.join('; ') || j.state), j.state === 'not-run' ? 'not-run' : 'expectation');
        if (splat !== '') tc.stacktrace(xmlSafe(splat));
      }
    }
  } else {
    for (const s of m.scenarios) {
      const tc = suite
        .testCase()
        .className(`torture.${s.summary.suite ?? 'run'}`)
        .name(s.id)
        .time(s.summary.completedSec ?? 0);
      tc.standardOutput(xmlSafe(s.consoleTail));
      if (!s.passed && s.summary.verdict === 'inconclusive') {
        // Not a finding and not a pass: the run did not test enough to say (an <error>, as CI shows it).
        tc.error(xmlSafe(`INCONCLUSIVE: ${s.summary.reasons.join('; ')}`), 'inconclusive');
      } else if (!s.passed) {
        tc.failure(xmlSafe(s.summary.reasons.join('; ') || 'failure'), 'verdict');
        if (s.splatHead !== '') tc.stacktrace(xmlSafe(s.splatHead));
      }
    }
  }
  return b.build();
}

/**
 * Write DIR/junit.xml (from `verdict` when the caller just rechecked DIR); returns its path.
 * Through a temporary name: a full disk leaves no truncated file (throws WriteFailure).
 */
export function writeJunit(dir: string, verdict: RunVerdict | null = null): string {
  const m = collectReport(dir, verdict);
  const file = path.join(m.dir, JUNIT_FILE);
  writeFileAtomic(file, renderJunit(m));
  return file;
}


