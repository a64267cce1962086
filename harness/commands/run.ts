/*
 * `torture [options]`: plan, run and recheck scenarios, as kvm.sh does. EVERY value is checked
 * before anything starts (checkRunOptions); then the plan is built (config errors surface there),
 * printed for --dryrun, or run batch by batch and rechecked from the files.
 * The environment variable TORTURE_CONFIGS replaces `<repo>/configs` (tests use fixture suites).
 */

import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { datestamp } from '../lib/kvm_date.js';
import { parseCpus, parseMemory, parseSeed } from '../run/driver_options.js';
import { checkRunLength, parseDuration } from '../run/duration.js';
import { parseJitter } from '../run/jitter.js';
import type { RunOptions } from '../run/plan.js';
import { DRYRUN_KINDS, SEED_PARAM, type DryrunKind } from '../run/plan_words.js';
import { builtEntry } from '../lib/dist_entry.js';
import { repoRoot } from '../lib/repo_root.js';
import { SUITES, TORTURE_SUITES, isTortureSuite } from '../suites/index.js';
import { last, list, usage, type Argv, type Command } from './command.js';
import { checkDatestamp, checkResultsRoot, commandLineOf, terminalDisplay } from './run_options.js';

export const DEFAULT_DURATION = '30m';
export const DEFAULT_SHUTDOWN_GRACE_SEC = 15;

const HELP = `Run torture scenarios like the kernel's kvm.sh: each scenario is a guest process whose worker
threads are its CPUs; results go to RESULTS/DATESTAMP/ and are rechecked from the files.

Options (kvm.sh's):
  --torture rcu|lock        suite and configs/<suite>/ directory (default: rcu)
  --configs "LIST"          scenarios, space or comma separated; N*NAME repeats a scenario
                            (TREE05, TREE05.2, ...); CFLIST is the suite's list (default: CFLIST).
                            May be repeated; lists append.
  --duration N[s|m|h|d]     run time; A BARE NUMBER IS MINUTES, as in kvm.sh (default: 30m)
  --cpus N                  pack scenarios into batches of N CPUs (first fit by CPU count;
                            not capped at the host's CPUs: guest CPUs are threads)
  --allcpus                 same with N = the host's available parallelism
                            (neither: one scenario per batch, as kvm.sh)
  --bootargs "WORDS"        extra boot parameters (module.param=value); may be repeated
  --kconfig "CONFIG_X=v ..." extra Kconfig settings for every scenario; may be repeated
  --datestamp NAME          results subdirectory (default: YYYY.MM.DD-HH.MM.SS)
  --results DIR             results root (default: ./results)
  --dryrun batches|scenarios|sched
                            print the plan and exit
  --shutdown-grace SECS     kill a guest still running SECS after --duration (default: 15; kvm.sh
                            uses 180 for a booting qemu, our guests boot in well under a second)
  --ops FILE                (lock suite) torture your own lock-ops ES module
  --seed N                  seed of every random stream (0..4294967295); default: chosen and
                            printed in the log, the console's command line and summary.json
  --jitter "N [SLEEP [SPIN]]"
                            N host-side load threads per batch alternating random sleeps (up to
                            SLEEP us, default 1000000) and busy spins (up to SPIN us, default
                            1000), seeded; -1 = one per CPU of --cpus (default: 0, none)
  --memory SIZE             per-guest memory cap (512, 512M, 2G), enforced as V8 heap limits
                            split over the guest's thread and its CPUs; over it = out of memory
  --quiet                   print only the summary (the log file still has everything)
  --help                    this text

Not supported: kvm.sh's build/qemu options (there is nothing to build or boot).
A STOP file in the results directory ends a run early; results are still rechecked.
Exit status: 0 all runs succeeded, 1 a run failed, 2 bad input.`;

const RUN_OPTIONS = {
  torture: { type: 'string' },
  configs: { type: 'string', array: true },
  duration: { type: 'string' },
  cpus: { type: 'string' },
  allcpus: { type: 'boolean' },
  bootargs: { type: 'string', array: true },
  kconfig: { type: 'string', array: true },
  datestamp: { type: 'string' },
  results: { type: 'string' },
  dryrun: { type: 'string' },
  'shutdown-grace': { type: 'string' },
  jitter: { type: 'string' },
  ops: { type: 'string' },
  seed: { type: 'string' },
  memory: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

/** Check every run option and build RunOptions (throws TortureError('USAGE') on bad input). */
export function checkRunOptions(a: Argv, argv: readonly string[], now: Date = new Date()): RunOptions {
  const suiteText = last(a['torture']) ?? 'rcu';
  if (!isTortureSuite(suiteText)) {
    throw usage(`Cannot use --torture as 'the suite' must be one of ${TORTURE_SUITES.join(' ')}: current value is ${suiteText || '(empty)'}`);
  }
  const suite = suiteText;
  const durationSec = parseDuration(last(a['duration']) ?? DEFAULT_DURATION);

  const cpusText = last(a['cpus']);
  if (cpusText !== undefined && a['allcpus'] === true) {
    throw usage(`Cannot use --cpus as 'it' must not be combined with --allcpus: current value is --cpus ${cpusText} --allcpus`);
  }
  let ncpus = 0;
  if (cpusText !== undefined) ncpus = parseCpus(cpusText);
  else if (a['allcpus'] === true) ncpus = availableParallelism();

  for (const k of ['configs', 'bootargs', 'kconfig'] as const) {
    const v = a[k];
    if (v !== undefined && list(v).every((x) => x.trim() === '')) {
      throw usage(`Cannot use --${k} as 'its value' must not be empty: current value is (empty)`);
    }
  }
  const configs = list(a['configs']);

  const ds = last(a['datestamp']);
  if (ds !== undefined) checkDatestamp(ds);
  const resultsText = last(a['results']) ?? 'results';
  if (resultsText === '') throw usage(`Cannot use --results as 'DIR' must be a directory path: current value is (empty)`);
  const resultsRoot = path.resolve(resultsText);
  checkResultsRoot(resultsRoot, resultsText);

  const dryText = last(a['dryrun']);
  if (dryText !== undefined && !(DRYRUN_KINDS as readonly string[]).includes(dryText)) {
    throw usage(`Cannot use --dryrun as 'the plan' must be one of ${DRYRUN_KINDS.join(' ')}: current value is ${dryText || '(empty)'}`);
  }

  const graceText = last(a['shutdown-grace']);
  if (graceText !== undefined && !/^[0-9]+$/.test(graceText)) {
    throw usage(`Cannot use --shutdown-grace as 'SECS' must be an integer >= 0: current value is ${graceText || '(empty)'}`);
  }
  const shutdownGraceSec = graceText === undefined ? DEFAULT_SHUTDOWN_GRACE_SEC : Number.parseInt(graceText, 10);
  checkRunLength(durationSec, shutdownGraceSec);

  const opsText = last(a['ops']);
  let opsModule: string | undefined;
  if (opsText !== undefined) {
    if (!SUITES[suite].userOps) {
      const ok = TORTURE_SUITES.filter((n) => SUITES[n].userOps);
      throw usage(`Cannot use --ops as 'the suite' must be ${ok.join(' or ')} (${ok.map((n) => `--torture ${n}`).join(', ')}): current value is ${suite}`);
    }
    const abs = path.resolve(opsText);
    if (opsText === '' || !existsSync(abs) || !statSync(abs).isFile()) {
      throw usage(`Cannot use --ops as 'FILE' must be an existing lock-ops ES module file: current value is ${opsText || '(empty)'}`);
    }
    if (/\s/.test(abs)) throw usage(`Cannot use --ops as 'FILE' must be a path without whitespace (it goes on the boot line): current value is ${abs}`);
    opsModule = abs;
  }


  const seed = parseSeed(last(a['seed']));
  if (list(a['bootargs']).some((b) => b.split(/\s+/).some((w) => w.startsWith(`${SEED_PARAM}=`)))) {
    throw usage(`Cannot use --bootargs as '${SEED_PARAM}' must be set with --seed N: current value is in --bootargs`);
  }
  const memoryText = last(a['memory']);
  const jitterText = last(a['jitter']);

  return {
    suite,
    durationSec,
    seed,
    ...(memoryText !== undefined ? { memoryMb: parseMemory(memoryText) } : {}),
    ...(jitterText !== undefined ? { jitter: parseJitter(jitterText) } : {}),
    shutdownGraceSec,
    ncpus,
    configs: configs.length > 0 ? configs : ['CFLIST'],
    // --ops is locktorture's torture_type `user`; put last so that it overrides any .boot type.
    bootargs: [...list(a['bootargs']), ...(opsModule !== undefined ? [`locktorture.torture_type=user locktorture.ops_module=${opsModule}`] : [])],
    kconfig: list(a['kconfig']),
    resultsRoot,
    datestamp: ds ?? datestamp(now),
    ...(opsModule !== undefined ? { opsModule } : {}),
    ...(dryText !== undefined ? { dryrun: dryText as DryrunKind } : {}),
    commandLine: commandLineOf(argv),
    configsRoot: path.resolve(process.env['TORTURE_CONFIGS'] ?? path.join(repoRoot(), 'configs')),
  };
}

export const run: Command = {
  name: 'run',
  yargs: '$0',
  describe: 'run scenarios',
  synopsis: ['[options]'],
  options: RUN_OPTIONS,
  help: HELP,
  async handler(a, { argv, io, terminal }) {
    const opts = checkRunOptions(a, argv);
    // A bad --ops module is bad input, found before any guest starts (user_ops.ts owns the rules).
    if (opts.opsModule !== undefined) await (await import('../torture/user_ops.js')).validateOpsModule(opts.opsModule);
    const { buildPlan } = await import('../run/plan.js');
    const plan = buildPlan(opts);
    if (opts.dryrun !== undefined) {
      const { formatBatches, formatScenarios, formatSched } = await import('../run/batches.js');
      const text = opts.dryrun === 'batches' ? formatBatches(plan.batches) : opts.dryrun === 'scenarios' ? formatScenarios(plan.batches) : formatSched(plan.batches);
      for (const l of text.replace(/\n$/, '').split('\n')) io.out(l);
      return 0;
    }
    const guestMain = builtEntry('guestMain', 'start guests');
    const { checkResdirFree, runBatches } = await import('../run/run_batches.js');
    checkResdirFree(plan.resdir);
    return runBatches(plan, guestMain, { out: io.out, display: await terminalDisplay(io, terminal, a['quiet'] === true, plan.durationSec) });
  },
};
