/*
 * Execute a RunPlan the way kvm.sh's generated script does: write
 * the run-level files (`log`, `testid.txt`, `torture_suite`, `batches`, `scenarios`, and `re-run`
 * for `torture again`), log the random seed, then for each batch log `----Start batch N: <date>`,
 * prepare every scenario directory (`guest-spec.json`, `scenario.json`, `ConfigFragment`,
 * `ConfigFragment.input`, `.config`, and kvm_files.ts's `qemu-cmd`, `Make.defconfig.out`,
 * `Make.out`, `vmlinux`), log `---- TREE05 8: Kernel present.`, start the batch's jitter threads
 * (--jitter), `---- Starting kernels.`, run the batch's guests concurrently, and log `---- All
 * kernel runs complete.`. Then print kvm-end-run-stats.sh's summary with the recheck output.
 * Terminal output goes through a RunDisplay (progress_display.ts: live, plain or quiet).
 *
 * Never loses results: a STOP file in the results directory, SIGINT or SIGTERM (run_session.ts)
 * kill the running guests (their `guest-retval` is written), skip the remaining batches, and still
 * recheck what exists. A results file that cannot be written (a full disk) ends the run the same
 * way, its `Cannot write ...` line printed after the summary, exit 1.
 * Exit: the recheck's 0/1, or 130 after SIGINT and 1 after SIGTERM.
 * Does not parse arguments or judge verdicts itself.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildGuestSpec, configFragmentText, dotConfigText } from '../config/scenario.js';
import { cpuBundleVerdict } from '../cpu/cpu_bundle_check.js';
import { CPU_BUNDLE_FILE } from '../cpu/cpu_bundle_file.js';
import { heapShareMb } from '../guest/guest_spec.js';
import { dateText } from '../lib/kvm_date.js';
import { endRunFooter, endRunHeader, recheckResults } from '../recheck/recheck.js';
import { REPORT_WRITERS } from '../report/report_writers.js';
import { writeFileAtomic } from '../lib/write_file_atomic.js';
import { formatBatches, formatScenarios, type Batch, type PlannedRun } from './batches.js';
import { launchGuest, type GuestHandle } from './guest_launch.js';
import { startJitter, type JitterHandle } from './jitter.js';
import { guestArgv, qemuCmdText, writeKvmBuildFiles } from './kvm_files.js';
import type { RunPlan } from './plan.js';
import { createRunDisplay, type RunDisplay } from './progress_display.js';
import { RunSession, STOP_FILE_FOUND } from './run_session.js';

export interface RunIo {
  readonly out: (line: string) => void;
  /** The terminal display; default: plain lines through `out`. */
  readonly display?: RunDisplay;
}

function gitOutput(args: readonly string[]): string | null {
  const r = spawnSync('git', args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return r.status === 0 && typeof r.stdout === 'string' ? r.stdout : null;
}

/** testid.txt: where and from what the run was made (kvm.sh writes the same, git or not). */
function testidText(): string {
  const lines = [`Build directory: ${process.cwd()}`];
  const head = gitOutput(['rev-parse', 'HEAD']);
  lines.push(`Current commit: ${head?.trim() ?? '(none: not a git tree, or no commits yet)'}`);
  const status = gitOutput(['status', '--porcelain']);
  if (status !== null) lines.push('', " --- Output of 'git status --porcelain':", status.trimEnd());
  const diff = head === null ? null : gitOutput(['diff', 'HEAD']);
  if (diff !== null) lines.push('', " --- Output of 'git diff HEAD':", diff.trimEnd());
  return lines.join('\n') + '\n';
}

/**
 * Ours, not kvm.sh's: one line when the guests will not boot from the CPU bundle beside
 * `guestMain` (harness/cpu/README.md, "The CPU bundle"). A tree rebuilt by `npx tsc` alone, or a
 * file edited since `npm run build`, has a stale bundle: its CPUs load ES modules and boot some 2 times
 * slower (measured on one host: 0.6 s instead of 0.3 at 8 CPUs, 6.4-7.4 s instead of 2.3-2.8 at
 * 100), which a rate or boot figure read off such a run would silently
 * carry; before this line only guest-result.json's `cpuImage` said so. A stand-in guest (the
 * driver's own tests) has no CPU runtime beside it and gets no line.
 */
export function cpuBundleNote(guestMain: string): string | null {
  try {
    const cpuDir = pathToFileURL(path.join(path.dirname(guestMain), '..', 'cpu') + path.sep);
    if (!existsSync(new URL('cpu_main.js', cpuDir))) return null;
    const bundle = path.relative(process.cwd(), fileURLToPath(new URL(CPU_BUNDLE_FILE, cpuDir)));
    // No modules named: whether the bundle is there and fresh, whatever the suite boots.
    const verdict = cpuBundleVerdict([], cpuDir);
    if (verdict === 'stale') return `CPU bundle ${bundle} is older than files it was linked from: CPUs load ES modules and boot slower (\`npm run build\` relinks it).`;
    if (verdict === 'absent') return `CPU bundle ${bundle} or its manifest is missing: CPUs load ES modules and boot slower (\`npm run build\` links it).`;
    return null;
  } catch {
    // A line for the log only: an unreadable dist/ (the guests will say more) never ends the run.
    return null;
  }
}

/** The run-level files kvm.sh's script writes before its first batch. */
function writeRunFiles(plan: RunPlan, guestMain: string, log: (line: string) => void): void {
  const resdir = plan.resdir;
  log(`Results directory: ${resdir}`);
  log(`Random seed: ${plan.seed} (--seed ${plan.seed} repeats every random stream; repeat k of a scenario uses seed + k - 1)`);
  const bundle = cpuBundleNote(guestMain);
  if (bundle !== null) log(bundle);
  if (plan.againOf !== undefined) {
    log(`Re-running ${plan.againOf} with its merged configs, boot parameters and seed.`);
    writeFileAtomic(path.join(resdir, 're-run'), `${plan.againOf}\n`);
  }
  writeFileAtomic(path.join(resdir, 'testid.txt'), testidText());
  writeFileAtomic(path.join(resdir, 'torture_suite'), `${plan.suite}\n`);
  writeFileAtomic(path.join(resdir, 'batches'), `# cpus=${plan.ncpus}\n${formatBatches(plan.batches)}`);
  writeFileAtomic(path.join(resdir, 'scenarios'), `# cpus=${plan.ncpus}\n${formatScenarios(plan.batches)}`);
}

/**
 * Prepare one scenario directory of a batch (its spec, merged config and kvm.sh's files) and
 * return how to start its guest; null for a run the plan has no scenario for.
 */
function prepareGuest(
  plan: RunPlan,
  r: PlannedRun,
  guestMain: string,
  display: RunDisplay,
  log: (line: string) => void,
  onWriteFailure: (e: unknown) => void,
): (() => GuestHandle) | null {
  const s = plan.scenarios.get(r.name);
  if (s === undefined) return null;
  const tag = `${r.name} ${r.cpus}${r.ovf ? '-ovf' : ''}`;
  const dir = path.join(plan.resdir, r.name);
  mkdirSync(dir, { recursive: true });
  const spec = buildGuestSpec(s, {
    resdir: dir,
    shutdownGraceSec: plan.shutdownGraceSec,
    ...(plan.opsModule !== undefined ? { opsModule: plan.opsModule } : {}),
    ...(plan.memoryMb !== undefined ? { memoryMb: plan.memoryMb } : {}),
  });
  const specPath = path.join(dir, 'guest-spec.json');
  writeFileAtomic(specPath, JSON.stringify(spec, null, 2) + '\n');
  writeFileAtomic(path.join(dir, 'scenario.json'), JSON.stringify(s, null, 2) + '\n');
  writeFileAtomic(path.join(dir, 'ConfigFragment'), configFragmentText(s));
  writeFileAtomic(path.join(dir, 'ConfigFragment.input'), s.fragmentInput);
  writeFileAtomic(path.join(dir, '.config'), dotConfigText(s));
  const argv = guestArgv(spec, guestMain, specPath, plan.memoryMb !== undefined ? heapShareMb(plan.memoryMb, spec.nrCpus) : undefined);
  writeFileAtomic(path.join(dir, 'qemu-cmd'), qemuCmdText(spec, argv, plan.shutdownGraceSec));
  writeKvmBuildFiles(dir, s, guestMain);
  log(`---- ${tag}: Kernel present. ${dateText()}`);
  for (const note of s.notes) log(note);
  return () => {
    display.guestStart(r.name, tag, s.suite, s.durationSec);
    const h = launchGuest({
      tag,
      name: r.name,
      scenarioDir: dir,
      argv,
      killAfterSec: s.durationSec + plan.shutdownGraceSec,
      log,
      date: () => dateText(),
      onProgress: (p) => display.guestProgress(r.name, p),
      onWriteFailure,
    });
    void h.done.then(() => display.guestEnd(r.name));
    return h;
  };
}

/** What stopped the run, as a stopped guest's verdict names it (`stopped by STOP file`). */
function stoppedBy(why: string): string {
  return why === STOP_FILE_FOUND ? 'STOP file' : why;
}

/** One batch: prepare its scenarios, start its jitter and guests together, wait for them all. */
async function runBatch(plan: RunPlan, batch: Batch, guestMain: string, display: RunDisplay, session: RunSession, running: Set<GuestHandle>): Promise<void> {
  const log = session.log;
  log(`----Start batch ${batch.index}: ${dateText()}`);
  const starts = batch.runs.flatMap((r) => prepareGuest(plan, r, guestMain, display, log, (e) => session.failWrite(e)) ?? []);
  let jitter: JitterHandle | null = null;
  if (plan.jitter !== undefined && plan.jitter.count !== 0) {
    jitter = startJitter(plan.jitter, plan.ncpus, plan.seed);
    log(`---- Starting ${jitter.threads} jitter threads (sleep up to ${plan.jitter.maxSleepUs} us, spin up to ${plan.jitter.maxSpinUs} us). ${dateText()}`);
  }
  log(`---- Starting kernels. ${dateText()}`);
  const handles: GuestHandle[] = [];
  try {
    // Each guest joins `running` as it starts: one that cannot start (its qemu-output cannot be
    // opened) leaves the ones already started killable and awaited, not running on unwatched.
    for (const start of starts) {
      const h = start();
      handles.push(h);
      running.add(h);
    }
  } catch (e) {
    for (const h of handles) h.kill('a guest of the batch could not start');
    throw e;
  } finally {
    const stopped = session.stopReason;
    if (stopped !== null) for (const h of handles) h.stop(stoppedBy(stopped));
    await Promise.all(handles.map((h) => h.done.then(() => running.delete(h))));
    if (jitter !== null) await jitter.stop();
  }
  log(`---- All kernel runs complete. ${dateText()}`);
}

/** Run every batch on one session; returns the process exit code. */
export async function runBatches(planned: RunPlan, guestMain: string, io: RunIo): Promise<number> {
  const startMs = Date.now();
  const display = io.display ?? createRunDisplay('plain', false, io.out, process.stdout, planned.durationSec);
  const session = new RunSession({
    resdir: planned.resdir,
    ...(planned.uniqueDatestamp === true ? { uniqueResdir: true } : {}),
    commandLine: planned.commandLine,
    echo: (line, summary) => display.line(line, summary),
    banner: planned.commandLine,
    stopLine: (why) => `---- ${why}: ending the run early. ${dateText()}`,
    stopFile: true,
  });
  // A default datestamp already taken got a suffix: the plan follows the session's directory.
  const plan = session.resdir === planned.resdir ? planned : { ...planned, resdir: session.resdir, datestamp: path.relative(planned.resultsRoot, session.resdir) };
  const running = new Set<GuestHandle>();
  session.onStop((why) => {
    for (const g of running) g.stop(stoppedBy(why));
  });
  // A file the run could not write (a full disk) ends it as a STOP would: what ran is judged.
  try {
    writeRunFiles(plan, guestMain, session.log);
    for (const batch of plan.batches) {
      display.batchStart(batch.index, plan.batches.length);
      if (session.stopReason !== null) {
        for (const r of batch.runs) session.log(`---- ${r.name} ${r.cpus}: ${session.notRun('Not run')}.`);
        continue;
      }
      await runBatch(plan, batch, guestMain, display, session, running).catch((e: unknown) => session.failWrite(e));
    }
  } catch (e) {
    session.failWrite(e);
  } finally {
    display.close();
    session.close();
  }

  const r = recheckResults(plan.resdir, REPORT_WRITERS);
  const rc = session.exitCode(r.exitCode);
  const failures = session.writeFailures.filter((l) => !r.writeFailures.includes(l));
  for (const l of [...endRunHeader(plan.resdir), ...r.lines, ...failures, endRunFooter(startMs, rc)]) session.log(l, true);
  return rc;
}
