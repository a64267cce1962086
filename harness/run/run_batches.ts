/*
 * Execute a RunPlan the way kvm.sh's generated script does: write
 * the run-level files (`log`, `testid.txt`, `torture_suite`, `batches`, `scenarios`), then for each
 * batch log `----Start batch N: <date>`, prepare every scenario directory (`guest-spec.json`,
 * `ConfigFragment`, `ConfigFragment.input`, `.config`, `guest-cmd`), log `---- TREE05 8: Kernel
 * present.`, `---- Starting kernels.`, run the batch's guests concurrently, and log `---- All kernel
 * runs complete.`. Then print kvm-end-run-stats.sh's summary with the recheck output.
 *
 * Never loses results: a STOP file in the results directory, SIGINT or SIGTERM kill the running
 * guests (their `guest-retval` is written), skip the remaining batches, and still recheck what
 * exists. Exit: the recheck's 0/1, or 130 after SIGINT and 1 after SIGTERM.
 * Does not parse arguments or judge verdicts itself.
 */

import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildGuestSpec, configFragmentText, dotConfigText } from '../config/scenario.js';
import { TortureError } from '../errors.js';
import { dateText } from '../lib/kvm_date.js';
import { endRunFooter, endRunHeader, recheckResults } from '../recheck/recheck.js';
import { formatBatches, formatScenarios } from './batches.js';
import { launchGuest, type GuestHandle } from './guest_launch.js';
import type { RunPlan } from './plan.js';

export interface RunIo {
  readonly out: (line: string) => void;
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

/** Create the results directory; it must not exist yet (checked before anything starts). */
export function checkResdirFree(resdir: string): void {
  if (existsSync(resdir)) {
    throw new TortureError('RESULTS_DIR', `Cannot create results directory as '${resdir}' must not exist yet (choose another --datestamp): current value is an existing path`);
  }
}

/** Run every batch; returns the process exit code. */
export async function runBatches(plan: RunPlan, guestMain: string, io: RunIo): Promise<number> {
  const startMs = Date.now();
  const resdir = plan.resdir;
  checkResdirFree(resdir);
  mkdirSync(resdir, { recursive: true });
  const logFile = path.join(resdir, 'log');
  writeFileSync(logFile, `${plan.commandLine}\n`);
  const log = (line: string): void => {
    appendFileSync(logFile, line + '\n');
    io.out(line);
  };
  io.out(plan.commandLine);
  log(`Results directory: ${resdir}`);
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
        });
        const specPath = path.join(dir, 'guest-spec.json');
        writeFileSync(specPath, JSON.stringify(spec, null, 2) + '\n');
        writeFileSync(path.join(dir, 'ConfigFragment'), configFragmentText(s));
        writeFileSync(path.join(dir, 'ConfigFragment.input'), s.fragmentInput);
        writeFileSync(path.join(dir, '.config'), dotConfigText(s));
        writeFileSync(path.join(dir, 'guest-cmd'), `# boot line: ${s.bootLine}\n${process.execPath} --enable-source-maps ${guestMain} ${specPath}\n`);
        log(`---- ${tag}: Kernel present. ${dateText()}`);
        for (const note of s.notes) log(note);
        starts.push(() =>
          launchGuest({
            tag,
            name: r.name,
            scenarioDir: dir,
            specPath,
            guestMain,
            killAfterSec: plan.durationSec + plan.shutdownGraceSec,
            log,
            date: () => dateText(),
          }),
        );
      }
      log(`---- Starting kernels. ${dateText()}`);
      const handles = starts.map((start) => start());
      for (const h of handles) running.add(h);
      if (stopReason !== null) for (const h of handles) h.kill(stopReason);
      await Promise.all(handles.map((h) => h.done.then(() => running.delete(h))));
      log(`---- All kernel runs complete. ${dateText()}`);
    }
  } finally {
    clearInterval(poll);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }

  const r = recheckResults(resdir);
  const rc = signalRc ?? r.summary.exitCode;
  for (const l of [...endRunHeader(resdir), ...r.lines, endRunFooter(startMs, rc)]) log(l);
  return rc;
}
