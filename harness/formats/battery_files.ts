/*
 * What a battery leaves on disk: nightly.json (the plan and every verdict) and <job>/job.json,
 * their writers and the reader of nightly.json. Data only, on the ground floor, so that the report can read a
 * battery without importing the battery (harness/nightly/ writes these records and then the report).
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../lib/write_file_atomic.js';
import { RUN_FILE } from './results_files.js';

/** A battery group's name (`rcutorture`, `seed`, ...: the groups are harness/nightly/battery_groups.ts). */
export type BatteryGroup = string;

/**
 * Where a step's files go: `results-dir` steps start guests and get `--results BATTERY
 * --datestamp JOB/STEP` (the step directory is a plain results directory); `bench-json` steps get
 * `--json STEPDIR/bench.json`; `none` leave only their captured output.
 */
export type StepOutput = 'results-dir' | 'bench-json' | 'none';

export const NIGHTLY_JSON = RUN_FILE.nightly;
export const JOB_JSON = 'job.json';

export interface StepRecord {
  readonly name: string;
  /** The command as a person would type it (without the results-placement options). */
  readonly command: string;
  readonly expect: string;
  readonly output: StepOutput;
  readonly state: 'pending' | 'done' | 'not-run';
  readonly exitCode: number | null;
  readonly passed: boolean | null;
  readonly reasons: readonly string[];
  readonly seconds: number | null;
}

export interface JobRecord {
  readonly name: string;
  readonly group: BatteryGroup;
  readonly what: string;
  readonly cpuSeconds: number;
  readonly state: 'pending' | 'done' | 'not-run';
  readonly passed: boolean | null;
  readonly reasons: readonly string[];
  readonly seconds: number | null;
  readonly steps: readonly StepRecord[];
  /** Set by `torture merge`: the shard results directory the job was copied from. */
  readonly fromShard?: string;
}

/** The first reason of a step whose run was clean but too short to say (the battery's judge writes it). */
export function inconclusiveStepReason(exitCode: number): string {
  return `exit ${exitCode}: INCONCLUSIVE`;
}

/**
 * Whether a failed job failed only for want of testing: every failed step is a run expected to
 * succeed whose judge said INCONCLUSIVE. A job with any real failure (a finding, an expected
 * failure that did not come, a step that did not finish) is a failure, not inconclusive.
 */
export function jobInconclusive(j: JobRecord): boolean {
  const failed = j.steps.filter((s) => s.passed !== true);
  return j.passed !== true && failed.length > 0 && failed.every((s) => /^exit \d+: INCONCLUSIVE$/.test(s.reasons[0] ?? ''));
}

export interface BatteryRecord {
  readonly version: 1;
  readonly commandLine: string;
  readonly startedAt: string;
  endedAt: string | null;
  readonly durationSec: number;
  readonly shard: { readonly index: number; readonly count: number } | null;
  /** Every shard's job names (index 0 = shard 1); one entry when not sharded. */
  readonly shards: readonly (readonly string[])[];
  /** Every job of the battery (all shards), in battery order. */
  readonly planned: readonly { readonly name: string; readonly group: BatteryGroup; readonly what: string }[];
  readonly perRunSec: Readonly<Record<string, number>>;
  readonly jobs: JobRecord[];
  /** Set by `torture merge`: the shard directories merged. */
  readonly mergedFrom?: readonly string[];
}

/**
 * Write `dir`/nightly.json (after every job, so that an interrupted battery still has its record;
 * through a temporary name, so that a full disk leaves the previous record, never half of one).
 */
export function writeBatteryRecord(dir: string, r: BatteryRecord): void {
  writeFileAtomic(path.join(dir, NIGHTLY_JSON), JSON.stringify(r, null, 2) + '\n');
}

/** Write `jobDir`/job.json (the job's own record, beside its steps' output). */
export function writeJobRecord(jobDir: string, j: JobRecord): void {
  writeFileAtomic(path.join(jobDir, JOB_JSON), JSON.stringify(j, null, 2) + '\n');
}

export function readBatteryRecord(dir: string): BatteryRecord | null {
  const f = path.join(dir, NIGHTLY_JSON);
  if (!existsSync(f)) return null;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as BatteryRecord;
  } catch {
    return null;
  }
}

