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
 * Never loses results: a STOP file in the results directory, SIGINT or SIGTERM kill the running
 * guests (their `guest-retval` is written), skip the remaining batches, and still recheck what
 * exists. Exit: the recheck's 0/1, or 130 after SIGINT and 1 after SIGTERM.
 * Does not parse arguments or judge verdicts itself.
 */

import { spawnSync } from 'node:child_process';
import { accessSync, appendFileSync, constants, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildGuestSpec, configFragmentText, dotConfigText } from '../config/scenario.js';
import { heapShareMb } from '../guest/guest_spec.js';
import { TortureError } from '../errors.js';
import { dateText } from '../lib/kvm_date.js';
import { endRunFooter, endRunHeader, recheckResults } from '../recheck/recheck.js';
import { REPORT_WRITERS } from '../report/report_writers.js';
import { formatBatches, formatScenarios } from './batches.js';
import { launchGuest, type GuestHandle } from './guest_launch.js';
import { startJitter, type JitterHandle } from './jitter.js';
import { guestArgv, qemuCmdText, writeKvmBuildFiles } from './kvm_files.js';
import type { RunPlan } from './plan.js';
import { createRunDisplay, type RunDisplay } from './progress_display.js';

export interface RunIo {
  readonly out: (line: string) => void;
  /** The terminal display; default: plain lines through `out`. */
  readonly display?: RunDisplay;
}

const STOP_POLL_MS = 250;

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
 * The results directory must not exist yet, and must be creatable: its nearest existing ancestor
 * is a directory we may write (checked before anything starts: `--results /etc/hostname/sub`).
 */
export function checkResdirFree(resdir: string): void {
  if (existsSync(resdir)) {
    throw new TortureError('RESULTS_DIR', `Cannot create results directory as '${resdir}' must not exist yet (choose another --datestamp): current value is an existing path`);
  }
  let dir = path.dirname(resdir);
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  let why: string | null = null;
  try {
    if (!statSync(dir).isDirectory()) why = `${dir} is a file`;
    else accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    why ??= `${dir} is not writable (${e instanceof Error && 'code' in e ? String(e.code) : String(e)})`;
  }
  if (why !== null) {
    throw new TortureError('RESULTS_DIR', `Cannot create results directory as '${resdir}' must be creatable (check --results and --datestamp): current value is under ${why}`);
  }
}

/**
 * mkdir -p, one component at a time: node's recursive mkdirSync never returns on some
 * filesystems (under /proc it loops on ENOENT), and each failure here is a clean exit 2.
 */
function mkdirEach(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      throw new TortureError('RESULTS_DIR', `Cannot create results directory as '${dir}' must be creatable: current value fails at ${d} (${e instanceof Error && 'code' in e ? String(e.code) : String(e)})`, { cause: e });
    }
  }
}

/** Run every batch; returns the process exit code. */
export async function runBatches(plan: RunPlan, guestMain: string, io: RunIo): Promise<number> {
  const startMs = Date.now();
  const resdir = plan.resdir;
  checkResdirFree(resdir);
  mkdirEach(resdir);
  const display = io.display ?? createRunDisplay('plain', false, io.out, process.stdout, plan.durationSec);
  const logFile = path.join(resdir, 'log');
  writeFileSync(logFile, `${plan.commandLine}\n`);
  const log = (line: string, summary = false): void => {
    appendFileSync(logFile, line + '\n');
    display.line(line, summary);
  };
  display.line(plan.commandLine);
  log(`Results directory: ${resdir}`);
  log(`Random seed: ${plan.seed} (--seed ${plan.seed} repeats every random stream; repeat k of a scenario uses seed + k - 1)`);
  if (plan.againOf !== undefined) {
    log(`Re-running ${plan.againOf} with its merged configs, boot parameters and seed.`);
    writeFileSync(path.join(resdir, 're-run'), `${plan.againOf}\n`);
  }
  writeFileSync(path.join(resdir, 'testid.txt'), testidText());
  writeFileSync(path.join(resdir, 'torture_suite'), `${plan.suite}\n`);
  writeFileSync(path.join(resdir, 'batches'), `# cpus=${plan.ncpus}\n${formatBatches(plan.batches)}`);
  writeFileSync(path.join(resdir, 'scenarios'), `# cpus=${plan.ncpus}\n${formatScenarios(plan.batches)}`);

  let stopReason: string | null = null;
  let signalRc: number | null = null;
  const running = new Set<GuestHandle>();
  const stopAll = (why: string): void => {
    if (stopReason === null) {
      stopReason = why;
      log(`---- ${why}: ending the run early. ${dateText()}`);
    }
    for (const g of running) g.kill(why);
  };
  const onSigint = (): void => {
    signalRc ??= 130;
    stopAll('SIGINT');
  };
  const onSigterm = (): void => {
    signalRc ??= 1;
    stopAll('SIGTERM');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  const stopFile = path.join(resdir, 'STOP');
  const poll = setInterval(() => {
    if (existsSync(stopFile)) stopAll('STOP file found');
  }, STOP_POLL_MS);

  try {
    for (const batch of plan.batches) {
      display.batchStart(batch.index, plan.batches.length);
      if (stopReason !== null) {
        for (const r of batch.runs) log(`---- ${r.name} ${r.cpus}: Not run (${stopReason}).`);
        continue;
      }
      log(`----Start batch ${batch.index}: ${dateText()}`);
      const starts: (() => GuestHandle)[] = [];
      for (const r of batch.runs) {
        const s = plan.scenarios.get(r.name);
        if (s === undefined) continue;
        const tag = `${r.name} ${r.cpus}${r.ovf ? '-ovf' : ''}`;
        const dir = path.join(resdir, r.name);
        mkdirSync(dir, { recursive: true });
        const spec = buildGuestSpec(s, {
          resdir: dir,
          shutdownGraceSec: plan.shutdownGraceSec,
          ...(plan.opsModule !== undefined ? { opsModule: plan.opsModule } : {}),
          ...(plan.memoryMb !== undefined ? { memoryMb: plan.memoryMb } : {}),
        });
        const specPath = path.join(dir, 'guest-spec.json');
        writeFileSync(specPath, JSON.stringify(spec, null, 2) + '\n');
        writeFileSync(path.join(dir, 'scenario.json'), JSON.stringify(s, null, 2) + '\n');
        writeFileSync(path.join(dir, 'ConfigFragment'), configFragmentText(s));
        writeFileSync(path.join(dir, 'ConfigFragment.input'), s.fragmentInput);
        writeFileSync(path.join(dir, '.config'), dotConfigText(s));
        const argv = guestArgv(spec, guestMain, specPath, plan.memoryMb !== undefined ? heapShareMb(plan.memoryMb, spec.nrCpus) : undefined);
        writeFileSync(path.join(dir, 'qemu-cmd'), qemuCmdText(spec, argv, plan.shutdownGraceSec));
        writeKvmBuildFiles(dir, s, guestMain);
        log(`---- ${tag}: Kernel present. ${dateText()}`);
        for (const note of s.notes) log(note);
        starts.push(() => {
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
          });
          void h.done.then(() => display.guestEnd(r.name));
          return h;
        });
      }
      let jitter: JitterHandle | null = null;
      if (plan.jitter !== undefined && plan.jitter.count !== 0) {
        jitter = startJitter(plan.jitter, plan.ncpus, plan.seed);
        log(`---- Starting ${jitter.threads} jitter threads (sleep up to ${plan.jitter.maxSleepUs} us, spin up to ${plan.jitter.maxSpinUs} us). ${dateText()}`);
      }
      log(`---- Starting kernels. ${dateText()}`);
      const handles = starts.map((start) => start());
      for (const h of handles) running.add(h);
      if (stopReason !== null) for (const h of handles) h.kill(stopReason);
      await Promise.all(handles.map((h) => h.done.then(() => running.delete(h))));
      if (jitter !== null) await jitter.stop();
      log(`---- All kernel runs complete. ${dateText()}`);
    }
  } finally {
    display.close();
    clearInterval(poll);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }

  const r = recheckResults(resdir, REPORT_WRITERS);
  const rc = signalRc ?? r.summary.exitCode;
  for (const l of [...endRunHeader(resdir), ...r.lines, endRunFooter(startMs, rc)]) log(l, true);
  return rc;
}
