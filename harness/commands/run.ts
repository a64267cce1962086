/*
 * `torture [options]`: plan, run and recheck scenarios, as kvm.sh does. EVERY value is checked
 * before anything starts (checkRunOptions); then the plan is built (config errors surface there),
 * printed for --dryrun, or run batch by batch and rechecked from the files.
 * The environment variable TORTURE_CONFIGS replaces `<repo>/configs` (tests use fixture suites).
 */

import { randomInt } from 'node:crypto';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { list, last, option, valueOf, type Argv } from '../cli/cli_option.js';
import { checkRunLength } from '../cli/duration.js';
import { DATESTAMP, DURATION, existingFile, FLAG, intRange, kind, MAX_SEED, RESULTS_ROOT, SEED, text } from '../cli/option_kinds.js';
import { commandLineOf } from '../cli/shell_quote.js';
import { datestamp } from '../lib/kvm_date.js';
import { MEMORY } from '../run/driver_options.js';
import { JITTER } from '../run/jitter.js';
import type { RunOptions } from '../run/plan.js';
import { DRYRUN_KINDS, SEED_PARAM } from '../run/plan_words.js';
import { repoRoot } from '../lib/repo_root.js';
import { SUITES, TORTURE_SUITES, isTortureSuite, type TortureSuite } from '../suites/index.js';
import { usage, type Command } from './command.js';
import { startRun } from './start_run.js';

export const DEFAULT_DURATION = '30m';
export const DEFAULT_SHUTDOWN_GRACE_SEC = 15;

const ABOUT = `Run torture scenarios like the kernel's kvm.sh: each scenario is a guest process whose worker
threads run its CPUs; results go to RESULTS/DATESTAMP/ and are rechecked from the files.`;

const NOTES = `Not supported: kvm.sh's build/qemu options (there is nothing to build or boot).
A STOP file in the results directory ends a run early; results are still rechecked.
Exit status: 0 all runs succeeded, 1 a run failed, 2 bad input.`;

/** --shutdown-grace and --quiet, which `torture again` takes too. */
export const SHUTDOWN_GRACE = option(intRange('SECS', 0), 'kill a guest still running SECS after its boot and --duration (default: 15;\nkvm.sh uses 180 for a booting qemu; the boot is measured apart here)');
export const QUIET = option(FLAG, 'print only the summary (the log file still has everything)');

const RUN_OPTIONS = {
  torture: option(text('SUITE'), 'suite and configs/<suite>/ directory (default: rcu)', { value: TORTURE_SUITES.join('|') }),
  configs: option(text('"LIST"'), 'scenarios, space or comma separated; N*NAME repeats a scenario\n(TREE05, TREE05.2, ...); CFLIST is the suite\'s list (default: CFLIST).\nMay be repeated; lists append.', { repeat: true }),
  duration: option(DURATION, 'run time; A BARE NUMBER IS MINUTES, as in kvm.sh (default: 30m)', { value: 'N[s|m|h|d]' }),
  cpus: option(intRange('N', 1, undefined, 'leave it out to run one scenario per batch'), 'pack scenarios into batches of N CPUs (first fit by CPU count;\nnot capped at the host\'s CPUs: guest CPUs are threads)'),
  allcpus: option(FLAG, 'same with N = the host\'s available parallelism\n(neither: one scenario per batch, as kvm.sh)'),
  bootargs: option(text('"WORDS"'), 'extra boot parameters (module.param=value); may be repeated', { repeat: true }),
  kconfig: option(text('"CONFIG_X=v ..."'), 'extra Kconfig settings for every scenario; may be repeated', { repeat: true }),
  datestamp: option(DATESTAMP, 'results subdirectory (default: YYYY.MM.DD-HH.MM.SS, .2 .3 ... when taken)'),
  results: option(RESULTS_ROOT, 'results root (default: ./results)'),
  dryrun: option(kind(DRYRUN_KINDS.join('|'), 'the plan', `one of ${DRYRUN_KINDS.join(' ')}`, (t) => DRYRUN_KINDS.find((k) => k === t) ?? null), 'print the plan and exit'),
  'shutdown-grace': SHUTDOWN_GRACE,
  ops: option(existingFile('FILE', 'an existing lock-ops or object-ops ES module file'), '(lock, object suites) torture your own lock-ops or object-ops ES module'),
  seed: option(SEED, 'seed of every random stream (0..4294967295); default: chosen and\nprinted in the log, the console\'s command line and summary.json'),
  jitter: option(JITTER, 'N host-side load threads per batch alternating random sleeps (up to\nSLEEP us, default 1000000) and busy spins (up to SPIN us, default\n1000), seeded; -1 = one per CPU of --cpus (default: 0, none)', { value: '"N [SLEEP [SPIN]]"' }),
  memory: option(MEMORY, 'per-guest memory cap (512, 512M, 2G), enforced as V8 heap limits\nsplit over the guest\'s thread and its CPUs; over it = out of memory'),
  quiet: QUIET,
} as const;

/** A list option given only empty values (`--configs ''`) is refused, not read as the default. */
function checkNotEmpty(a: Argv, names: readonly string[]): void {
  for (const k of names) {
    const v = a[k];
    if (v !== undefined && list(v).every((x) => x.trim() === '')) {
      throw usage(`Cannot use --${k} as 'its value' must not be empty: current value is (empty)`);
    }
  }
}

/** --ops FILE: the lock suite's user ops module (absolute, and on the boot line: no whitespace). */
function opsModuleOf(a: Argv, suite: TortureSuite): string | undefined {
  if (last(a['ops']) === undefined) return undefined;
  if (!SUITES[suite].userOps) {
    const ok = TORTURE_SUITES.filter((n) => SUITES[n].userOps);
    throw usage(`Cannot use --ops as 'the suite' must be ${ok.join(' or ')} (${ok.map((n) => `--torture ${n}`).join(', ')}): current value is ${suite}`);
  }
  const abs = valueOf(a, 'ops', RUN_OPTIONS.ops);
  if (abs !== undefined && /\s/.test(abs)) throw usage(`Cannot use --ops as 'FILE' must be a path without whitespace (it goes on the boot line): current value is ${abs}`);
  return abs;
}

/** The boot words of --ops FILE: the suite's torture_type `user` and its module. */
function userOpsBootargs(mod: string, file: string): string {
  return `${mod}.torture_type=user ${mod}.ops_module=${file}`;
}

/** Check every run option and build RunOptions (throws TortureError('USAGE') on bad input). */
export function checkRunOptions(a: Argv, argv: readonly string[], now: Date = new Date()): RunOptions {
  const suiteText = last(a['torture']) ?? 'rcu';
  if (!isTortureSuite(suiteText)) {
    throw usage(`Cannot use --torture as 'the suite' must be one of ${TORTURE_SUITES.join(' ')}: current value is ${suiteText || '(empty)'}`);
  }
  const suite = suiteText;
  const durationSec = DURATION.parse(last(a['duration']) ?? DEFAULT_DURATION, '--duration');

  const cpusText = last(a['cpus']);
  if (cpusText !== undefined && a['allcpus'] === true) {
    throw usage(`Cannot use --cpus as 'it' must not be combined with --allcpus: current value is --cpus ${cpusText} --allcpus`);
  }
  const ncpus = valueOf(a, 'cpus', RUN_OPTIONS.cpus) ?? (a['allcpus'] === true ? availableParallelism() : 0);

  checkNotEmpty(a, ['configs', 'bootargs', 'kconfig']);
  const configs = list(a['configs']);

  const ds = valueOf(a, 'datestamp', RUN_OPTIONS.datestamp);
  const resultsRoot = RUN_OPTIONS.results.kind.parse(last(a['results']) ?? 'results', '--results');
  const dryrun = valueOf(a, 'dryrun', RUN_OPTIONS.dryrun);
  const shutdownGraceSec = valueOf(a, 'shutdown-grace', SHUTDOWN_GRACE) ?? DEFAULT_SHUTDOWN_GRACE_SEC;
  checkRunLength(durationSec, shutdownGraceSec);
  const opsModule = opsModuleOf(a, suite);

  const seed = valueOf(a, 'seed', RUN_OPTIONS.seed) ?? randomInt(0, MAX_SEED + 1);
  if (list(a['bootargs']).some((b) => b.split(/\s+/).some((w) => w.startsWith(`${SEED_PARAM}=`)))) {
    throw usage(`Cannot use --bootargs as '${SEED_PARAM}' must be set with --seed N: current value is in --bootargs`);
  }
  const memoryMb = valueOf(a, 'memory', RUN_OPTIONS.memory);
  const jitter = valueOf(a, 'jitter', RUN_OPTIONS.jitter);

  return {
    suite,
    durationSec,
    seed,
    ...(memoryMb !== undefined ? { memoryMb } : {}),
    ...(jitter !== undefined ? { jitter } : {}),
    shutdownGraceSec,
    ncpus,
    configs: configs.length > 0 ? configs : ['CFLIST'],
    // --ops is the suite's torture_type `user` (locktorture, objecttorture); put last so that it overrides any .boot type.
    bootargs: [...list(a['bootargs']), ...(opsModule !== undefined ? [userOpsBootargs(SUITES[suite].tortureModule, opsModule)] : [])],
    kconfig: list(a['kconfig']),
    resultsRoot,
    datestamp: ds ?? datestamp(now),
    ...(ds === undefined ? { uniqueDatestamp: true } : {}),
    ...(opsModule !== undefined ? { opsModule } : {}),
    ...(dryrun !== undefined ? { dryrun } : {}),
    commandLine: commandLineOf(argv),
    configsRoot: path.resolve(process.env['TORTURE_CONFIGS'] ?? path.join(repoRoot(), 'configs')),
  };
}

export const run: Command = {
  name: 'run',
  yargs: '$0',
  describe: 'run scenarios',
  synopsis: ['[options]'],
  about: ABOUT,
  optionsTitle: "Options (kvm.sh's):",
  options: RUN_OPTIONS,
  notes: NOTES,
  async handler(a, { argv, io, terminal }) {
    const opts = checkRunOptions(a, argv);
    const { buildPlan } = await import('../run/plan.js');
    const plan = buildPlan(opts);
    // A bad user lock-ops or object-ops module (--ops, or torture_type=user from --bootargs or a .boot file) is
    // bad input, found before anything starts, in a child process (torture/ops_check.ts).
    await (await import('../torture/ops_check.js')).checkUserOps(plan.scenarios.values());
    if (opts.dryrun !== undefined) {
      const { formatBatches, formatScenarios, formatSched } = await import('../run/batches.js');
      const planText = opts.dryrun === 'batches' ? formatBatches(plan.batches) : opts.dryrun === 'scenarios' ? formatScenarios(plan.batches) : formatSched(plan.batches);
      for (const l of planText.replace(/\n$/, '').split('\n')) io.out(l);
      return 0;
    }
    return startRun(plan, io, terminal, a['quiet'] === true);
  },
};
