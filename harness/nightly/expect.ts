/*
 * A battery step's expectation and its judge: from the step's exit code, its captured output and
 * (for steps that ran guests) its results directory, decide whether it showed what it must.
 * Expected failures are judged as strictly as successes: a BUSTED run passes only with a torture
 * FAILURE, the seed's buggy order only with lockdep's circular report naming the seed's classes.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RUN_FILE, SCENARIO_FILE, readJson } from '../formats/results_files.js';
import type { RunSummary } from '../formats/summary_json.js';
import { inconclusiveStepReason } from '../formats/battery_files.js';
import { isTortureFailureLine } from '../formats/console_lines.js';
import { CIRCULAR_TITLE, parseCircularReports } from '../lockdep/report_parse.js';

export type StepExpect =
  | { readonly kind: 'success' }
  /** The run fails with a torture FAILURE (BUSTED scenarios: `!!!` / `End of test: FAILURE`). */
  | { readonly kind: 'torture-failure' }
  /** Exit `exit` with lockdep's circular report naming every one of `classes`. */
  | { readonly kind: 'circular'; readonly classes: readonly string[]; readonly exit: number };

export interface StepVerdict {
  readonly passed: boolean;
  /** Why it failed, or what it showed when it passed. */
  readonly reasons: readonly string[];
}

/** One line saying what the step must show. */
export function describeExpect(e: StepExpect): string {
  switch (e.kind) {
    case 'success':
      return 'exit 0';
    case 'torture-failure':
      return 'exit 1 with a torture FAILURE';
    case 'circular':
      return `exit ${e.exit} with a circular locking report on ${e.classes.join(', ')}`;
  }
}

/**
 * Whether a console already shows the event an expected failure waits for (BUSTED's `!!!` line,
 * the circular report on every one of the classes): what lets a step stop at the event rather
 * than run out its duration. The same tests the judge applies to the finished step.
 */
export function expectedEventSeen(e: StepExpect, consoleText: string): boolean {
  switch (e.kind) {
    case 'success':
      return false;
    case 'torture-failure':
      return consoleText.split('\n').some(isTortureFailureLine);
    case 'circular':
      return parseCircularReports(consoleText).some((r) => e.classes.every((c) => r.cycle.includes(c)));
  }
}

/** Texts in which a circular report may be found: the step's output and every console.log. */
function reportTexts(output: string, resultsDir: string | null, summary: RunSummary | null): string[] {
  const texts = [output];
  if (resultsDir !== null && summary !== null) {
    for (const s of summary.scenarios) {
      const f = path.join(resultsDir, s.scenario, SCENARIO_FILE.console);
      if (existsSync(f)) texts.push(readFileSync(f, 'utf8'));
    }
  }
  return texts;
}

function failureReasons(summary: RunSummary | null): string[] {
  return summary === null ? [] : summary.scenarios.flatMap((s) => s.reasons.map((r) => `${s.scenario}: ${r}`));
}

export function judgeStep(e: StepExpect, exitCode: number | null, output: string, resultsDir: string | null): StepVerdict {
  const summary = resultsDir === null ? null : readJson<RunSummary>(path.join(resultsDir, RUN_FILE.summary));
  if (exitCode === null) return { passed: false, reasons: ['did not finish (killed or not started)'] };
  if (exitCode === 2) return { passed: false, reasons: [`bad input (exit 2): ${output.split('\n').find((l) => l.startsWith('torture: ')) ?? output.trim().split('\n')[0] ?? ''}`] };
  if (resultsDir !== null && summary === null) {
    const last = output.trim().split('\n').filter((l) => l.trim() !== '').slice(-1)[0] ?? '';
    return { passed: false, reasons: [`exit ${exitCode} and no summary.json in ${resultsDir}${last !== '' ? `: ${last}` : ''}`] };
  }
  switch (e.kind) {
    case 'success': {
      if (exitCode === 0) return { passed: true, reasons: [] };
      // A run too short to say is not a pass, but it is no finding either: say which it was.
      const inconclusive = summary !== null && summary.scenarios.length > 0 && summary.scenarios.every((s) => s.verdict !== 'failure') && summary.scenarios.some((s) => s.verdict === 'inconclusive');
      return { passed: false, reasons: [inconclusive ? inconclusiveStepReason(exitCode) : `exit ${exitCode}`, ...failureReasons(summary)] };
    }
    case 'torture-failure': {
      const fails = failureReasons(summary).filter((r) => / FAILURE\b/.test(r));
      if (exitCode === 1 && fails.length > 0) return { passed: true, reasons: [`failed as it must: ${fails[0] ?? ''}`] };
      return { passed: false, reasons: [`expected exit 1 with a torture FAILURE, got exit ${exitCode}${fails.length === 0 ? ' and no FAILURE' : ''}`, ...failureReasons(summary)] };
    }
    case 'circular': {
      const reports = reportTexts(output, resultsDir, summary).flatMap((t) => parseCircularReports(t));
      const hit = reports.find((r) => e.classes.every((c) => r.cycle.includes(c)));
      if (exitCode === e.exit && hit !== undefined) return { passed: true, reasons: [`reported as it must: ${hit.cycle.join(' -> ')} -> ${hit.cycle[0] ?? ''} (${hit.task})`] };
      const seen = reports.map((r) => r.cycle.join('/')).join('; ');
      return {
        passed: false,
        reasons: [`expected exit ${e.exit} with '${CIRCULAR_TITLE}' on ${e.classes.join(', ')}, got exit ${exitCode}${reports.length === 0 ? ' and no circular report' : ` and cycles ${seen}`}`, ...failureReasons(summary)],
      };
    }
  }
}
