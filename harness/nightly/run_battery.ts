/*
 * Run a planned battery the way torture.sh runs its kvm.sh invocations (harness/nightly/README.md):
 * one job at a time, each step a child process (`torture ...` through harness/commands/job_child.ts, or `node FILE`
 * for an example program) whose output goes to `<job>/<step>.out`; each step judged against its
 * expectation; ` --- <job>: Start <date>` and a verdict line per job; then torture.sh's
 * SUCCESSES:/FAILURES: lists, `Started at ..., ended at ..., duration ...` and
 * `Summary: Successes: N Failures: M.`; then the HTML report and the JUnit file.
 *
 * Files: <battery>/log (everything printed), nightly.json (the plan, rewritten with each job's
 * verdict as it finishes), <job>/job.json, <job>/<step>.out, <job>/<step>/ (results directories).
 * Never loses results (harness/run/run_session.ts): SIGINT/SIGTERM go to the running step (whose driver kills its guests and
 * rechecks), the remaining jobs are recorded as not run (failures), and the summary, report and
 * JUnit file are still written. One step at a time: a guest already has more CPU threads than the
 * host has cores, so running jobs side by side would only slow each down.
 */

import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { commandLineOf } from '../cli/shell_quote.js';
import { dateText } from '../lib/kvm_date.js';
import { distPath } from '../lib/dist_entry.js';
import { RunSession } from '../run/run_session.js';
import type { BatteryPlan, Job, Step } from './battery_plan.js';
import { describeExpect, judgeStep } from './expect.js';
import { stopAtEvent } from './event_stop.js';
import { writeBatteryRecord, writeJobRecord, type BatteryRecord, type JobRecord, type StepRecord } from '../formats/battery_files.js';
import { formatDuration, writeBatteryOutputs } from './battery_record.js';

export interface BatteryRunOptions {
  readonly resdir: string;
  /** No --datestamp was given: a default already taken gets a `.N` suffix (run_session.ts). */
  readonly uniqueResdir?: boolean;
  readonly commandLine: string;
  readonly durationSec: number;
  readonly shard: { readonly index: number; readonly count: number } | null;
}

export interface BatteryIo {
  readonly out: (line: string) => void;
}

interface Running {
  kill(signal: NodeJS.Signals): void;
}

function stepArgv(step: Step, jobDir: string, batteryDir: string, jobName: string): { file: string; args: string[] } {
  const stepDir = path.join(jobDir, step.name);
  if (step.runner === 'node') return { file: process.execPath, args: [...step.argv] };
  const extra =
    step.output === 'results-dir'
      ? ['--results', batteryDir, '--datestamp', `${jobName}/${step.name}`]
      : step.output === 'bench-json'
        ? ['--json', path.join(stepDir, 'bench.json')]
        : [];
  return { file: process.execPath, args: [distPath('jobChild'), ...step.argv, ...extra] };
}

/** Shell-readable command of a step, as a person would type it. */
export function stepCommand(step: Step): string {
  return commandLineOf(step.argv, step.runner === 'node' ? 'node' : 'torture');
}

/** What a step's run gave: its exit code and output, and the error that kept its output from disk, if any. */
interface StepRun {
  readonly exitCode: number | null;
  readonly output: string;
  readonly seconds: number;
  readonly writeError: unknown;
}

function runStep(step: Step, jobDir: string, batteryDir: string, jobName: string, onStart: (r: Running) => void): Promise<StepRun> {
  const outFile = path.join(jobDir, `${step.name}.out`);
  const { file, args } = stepArgv(step, jobDir, batteryDir, jobName);
  if (step.output === 'bench-json') mkdirSync(path.join(jobDir, step.name), { recursive: true });
  const cancelWatch = step.stopAtEvent === true ? stopAtEvent(step.expect, path.join(jobDir, step.name)) : (): void => undefined;
  const start = Date.now();
  return new Promise((resolve) => {
    const out = createWriteStream(outFile);
    // A full disk must not take the battery down: the step runs on, its output is what reached the
    // file, and the battery fails the run with the error (runJob).
    let writeError: unknown = null;
    out.on('error', (e) => {
      writeError = e;
      if (settled) done();
    });
    out.write(`$ ${stepCommand(step)}\n`);
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], cwd: process.cwd() });
    onStart({ kill: (sig) => child.kill(sig) });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    let settled = false;
    let exitCode: number | null = null;
    let resolved = false;
    const done = (): void => {
      if (resolved) return;
      resolved = true;
      let output = '';
      try {
        output = readFileSync(outFile, 'utf8');
      } catch (e) {
        writeError ??= e;
      }
      resolve({ exitCode, output, seconds: (Date.now() - start) / 1000, writeError });
    };
    const finish = (code: number | null): void => {
      if (settled) return;
      settled = true;
      exitCode = code;
      cancelWatch();
      if (writeError !== null) done();
      else out.end(done);
    };
    child.on('error', (e) => {
      out.write(`spawn failed: ${e.message}\n`);
      finish(null);
    });
    child.on('close', (code) => finish(code));
  });
}

/** Run one job's steps in order (a step after a stop is recorded as not run); its record. */
async function runJob(job: Job, session: RunSession, setCurrent: (r: Running | null) => void): Promise<JobRecord> {
  session.log(` --- ${job.name}: Start ${dateText()}`);
  const jobDir = path.join(session.resdir, job.name);
  mkdirSync(jobDir, { recursive: true });
  const steps: StepRecord[] = [];
  const jobStart = Date.now();
  for (const step of job.steps) {
    if (session.stopReason !== null) {
      steps.push({ ...pendingStep(step), state: 'not-run', reasons: [session.notRun()] });
      continue;
    }
    const r = await runStep(step, jobDir, session.resdir, job.name, setCurrent);
    setCurrent(null);
    if (r.writeError !== null) session.failWrite(r.writeError);
    const resultsDir = step.output === 'results-dir' ? path.join(jobDir, step.name) : null;
    const v = judgeStep(step.expect, r.exitCode, r.output, resultsDir);
    steps.push({ ...pendingStep(step), state: 'done', exitCode: r.exitCode, passed: v.passed, reasons: v.reasons, seconds: r.seconds });
  }
  const passed = steps.every((s) => s.passed === true);
  const jr: JobRecord = {
    ...pendingJob(job),
    state: 'done',
    passed,
    // A failed job lists what failed; a passed one what it showed (expected failures).
    reasons: steps.filter((s) => passed || s.passed !== true).flatMap((s) => s.reasons.map((x) => (job.steps.length > 1 ? `${s.name}: ${x}` : x))),
    seconds: (Date.now() - jobStart) / 1000,
    steps,
  };
  writeJobRecord(jobDir, jr);
  return jr;
}

/** Run every job of the plan on one session; returns the exit code (0 all passed, 1 some failed). */
export async function runBattery(plan: BatteryPlan, o: BatteryRunOptions, io: BatteryIo): Promise<number> {
  const startedAt = new Date();
  const session = new RunSession({
    resdir: o.resdir,
    ...(o.uniqueResdir === true ? { uniqueResdir: true } : {}),
    commandLine: o.commandLine,
    echo: (line) => io.out(line),
    banner: ` --- ${o.commandLine}`,
    stopLine: (why) => ` --- ${why}: ending the battery early. ${dateText()}`,
  });
  const log = session.log;
  log(` --- Results directory: ${session.resdir}`);
  if (o.shard !== null) log(` --- Shard ${o.shard.index}/${o.shard.count}: ${plan.jobs.length} of the battery's jobs`);

  const record: BatteryRecord = {
    version: 1,
    commandLine: o.commandLine,
    startedAt: startedAt.toISOString(),
    endedAt: null,
    durationSec: o.durationSec,
    shard: o.shard,
    shards: plan.shards,
    planned: plan.allJobs.map((j) => ({ name: j.name, group: j.group, what: j.what })),
    perRunSec: plan.perRunSec,
    jobs: plan.jobs.map((j) => pendingJob(j)),
  };
  // A record that cannot be written (a full disk) ends the battery as a signal would; it is said at the end.
  const save = (): void => {
    try {
      writeBatteryRecord(session.resdir, record);
    } catch (e) {
      session.failWrite(e);
    }
  };
  save();

  let current: Running | null = null;
  // The battery's stops are signals only (a step's own driver watches its STOP file).
  session.onStop((_why, sig) => current?.kill(sig ?? 'SIGTERM'));
  try {
    for (const [ji, job] of plan.jobs.entries()) {
      if (session.stopReason !== null) {
        record.jobs[ji] = { ...pendingJob(job), state: 'not-run', passed: false, reasons: [session.notRun()] };
        save();
        continue;
      }
      const jr = await runJob(job, session, (r) => {
        current = r;
      }).catch((e: unknown) => {
        session.failWrite(e);
        return { ...pendingJob(job), state: 'not-run', passed: false, reasons: [session.notRun()] } as const;
      });
      record.jobs[ji] = jr;
      save();
      log(` --- ${job.name}: ${jr.passed === true ? 'Success' : 'FAILURE'}${jr.reasons.length > 0 ? ` (${jr.reasons.join('; ')})` : ''} ${formatDuration(jr.seconds ?? 0)}`);
    }
  } finally {
    session.close();
  }
  record.endedAt = new Date().toISOString();
  save();
  const rc = writeBatteryOutputs(session.resdir, record, log);
  for (const l of session.writeFailures) log(l);
  return session.exitCode(rc);
}

function pendingStep(s: Step): StepRecord {
  return { name: s.name, command: stepCommand(s), expect: describeExpect(s.expect), output: s.output, state: 'pending', exitCode: null, passed: null, reasons: [], seconds: null };
}

function pendingJob(j: Job): JobRecord {
  return { name: j.name, group: j.group, what: j.what, cpuSeconds: j.cpuSeconds, state: 'pending', passed: null, reasons: [], seconds: null, steps: j.steps.map(pendingStep) };
}
