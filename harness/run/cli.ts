/*
 * The `torture` command line (kvm.sh's flags).
 *
 *   torture [options]              plan, run and recheck scenarios (kvm.sh)
 *   torture recheck DIR...         re-derive verdicts from a results directory (kvm-recheck.sh)
 *   torture lockdep TRACE.jsonl    run lockdep over a recorded lock trace
 *   torture selftest               lockdep's boot-time self-tests (lib/locking-selftest.c)
 *   torture bench [FILTER]         lock fast-path benchmarks
 *   torture again DIR              rerun a results directory with its configs and seed (kvm-again.sh)
 *
 * Guarantees: EVERY value is checked before anything starts; bad input prints exactly one line
 * `torture: <what is wrong and what is expected>` and one usage hint on stderr, exit 2, never a
 * stack trace. Exit 0 = all runs succeeded, 1 = some run failed (or SIGTERM), 130 = SIGINT.
 * Modules written by other helpers (lockdep trace checker, self-tests, benchmarks) are imported
 * lazily, so a missing one is a clean error and not a crash at start-up.
 * The environment variable TORTURE_CONFIGS replaces `<repo>/configs` (tests use fixture suites).
 */

import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { TortureError, isTortureError } from '../errors.js';
import { TORTURE_SUITES, type TortureSuite } from '../guest/guest_spec.js';
import { datestamp } from '../lib/kvm_date.js';
import { recheckMain } from '../recheck/recheck.js';
import { formatBatches, formatScenarios, formatSched } from './batches.js';
import { checkRunLength, parseDuration } from './duration.js';
import { againPlan } from './again.js';
import { parseCpus, parseMemory, parseSeed } from './driver_options.js';
import { parseJitter } from './jitter.js';
import { DRYRUN_KINDS, SEED_PARAM, buildPlan, type DryrunKind, type RunOptions } from './plan.js';
import { colourWanted, createRunDisplay, displayMode } from './progress_display.js';
import { repoRoot } from './repo_root.js';
import { checkResdirFree, runBatches } from './run_batches.js';
import { mergeMain, nightlyMain, reportMain } from '../nightly/nightly_cli.js';

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

// A closed stdout (`torture ... | head`) must not kill a run that still owns guests and results.
let stdoutBroken = false;
const defaultIo: CliIo = {
  out: (l) => {
    if (stdoutBroken) return;
    process.stdout.write(l + '\n');
  },
  err: (l) => process.stderr.write(l + '\n'),
};

export const DEFAULT_DURATION = '30m';
export const DEFAULT_SHUTDOWN_GRACE_SEC = 15;
const USAGE_HINT = "Try 'torture --help' for usage.";

export const USAGE = `Usage: torture [options]
       torture recheck DIR...
       torture lockdep TRACE.jsonl... [-] [--all] [--json]
       torture selftest
       torture again DIR [--duration D] [--datestamp NAME] [--results DIR] [--quiet]
       torture bench [FILTER] [--ops FILE] [--compare OLD.json] [--time MS] [--threads N]
                              [--json FILE] [--results DIR]
       torture nightly [--duration D] [--do-X|--do-no-X]... [--shard I/N] ...  (torture nightly --help)
       torture report DIR
       torture merge DIR... [--datestamp NAME] [--results DIR]

Run torture scenarios like the kernel's kvm.sh: each scenario is a guest process whose worker
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

type Argv = Record<string, unknown> & { _: (string | number)[] };

/** yargs gives an array when a single-valued option is repeated; kvm.sh keeps the last. */
function last(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length === 0 ? undefined : String(v[v.length - 1]);
  return v === undefined ? undefined : String(v);
}

function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function usage(message: string): TortureError {
  return new TortureError('USAGE', message);
}

function shellQuote(a: string): string {
  return /^[A-Za-z0-9_./=:,*+-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
}

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
  help: { type: 'boolean' },
} as const;

const AGAIN_OPTIONS = {
  duration: { type: 'string' },
  datestamp: { type: 'string' },
  results: { type: 'string' },
  'shutdown-grace': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

const BENCH_OPTIONS = {
  ops: { type: 'string' },
  compare: { type: 'string' },
  time: { type: 'string' },
  threads: { type: 'string' },
  json: { type: 'string' },
  results: { type: 'string' },
  help: { type: 'boolean' },
} as const;

async function parseArgs(argv: readonly string[]): Promise<Argv> {
  const y = yargs([...argv])
    .scriptName('torture')
    .version(false)
    .help(false)
    .exitProcess(false)
    .strict()
    .parserConfiguration({ 'camel-case-expansion': false })
    .command('$0', 'run scenarios', (b) => b.options(RUN_OPTIONS))
    .command('recheck [dirs..]', 'recheck results directories', (b) => b.option('help', { type: 'boolean' }))
    .command('lockdep [traces..]', 'check lock traces', (b) => b.options({ all: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean' } }))
    .command('selftest', 'lockdep self-tests', (b) => b.option('help', { type: 'boolean' }))
    .command('bench [filter]', 'lock benchmarks', (b) => b.options(BENCH_OPTIONS))
    .command('again [dir]', 'rerun a results directory', (b) => b.options(AGAIN_OPTIONS))
    .fail((msg: string | null, err: Error | null) => {
      throw usage((msg ?? err?.message ?? 'bad arguments').replace(/\s*\n\s*/g, ' '));
    });
  return (await y.parseAsync()) as Argv;
}

/** Check every run option and build RunOptions (throws TortureError('USAGE') on bad input). */
export function checkRunOptions(a: Argv, argv: readonly string[], now: Date = new Date()): RunOptions {
  const suiteText = last(a['torture']) ?? 'rcu';
  if (!(TORTURE_SUITES as readonly string[]).includes(suiteText)) {
    throw usage(`Cannot use --torture as 'the suite' must be one of ${TORTURE_SUITES.join(' ')}: current value is ${suiteText || '(empty)'}`);
  }
  const suite = suiteText as TortureSuite;
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
    if (suite !== 'lock') throw usage(`Cannot use --ops as 'the suite' must be lock (--torture lock): current value is ${suite}`);
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
    commandLine: ['torture', ...argv.map(shellQuote)].join(' '),
    configsRoot: path.resolve(process.env['TORTURE_CONFIGS'] ?? path.join(repoRoot(), 'configs')),
  };
}

/** Import a module another helper owns, or fail with one clean line. */
async function lazyImport(rel: string, what: string): Promise<Record<string, unknown>> {
  const url = new URL(rel, import.meta.url);
  try {
    return (await import(url.href)) as Record<string, unknown>;
  } catch (e) {
    const missing = e instanceof Error && 'code' in e && e.code === 'ERR_MODULE_NOT_FOUND';
    throw new TortureError(
      'USAGE',
      `Cannot run ${what} as '${path.relative(repoRoot(), url.pathname)}' must ${missing ? 'be built (npm run build)' : 'load'}: current value is ${missing ? 'missing' : String(e)}`,
      { cause: e },
    );
  }
}

function exitCodeOf(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) ? v : 0;
}

/** BenchArgv of harness/bench/bench_main.ts, from the `bench` command's options. */
function benchArgv(a: Argv): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const filter = last(a['filter']);
  if (filter !== undefined) out['filter'] = filter;
  for (const k of ['ops', 'compare', 'json', 'results'] as const) {
    const v = last(a[k]);
    if (v !== undefined) out[k] = v;
  }
  for (const k of ['time', 'threads'] as const) {
    const v = last(a[k]);
    if (v !== undefined) {
      if (!/^[0-9]+$/.test(v)) throw usage(`Cannot run the bench as '--${k}' must be an integer: current value is ${v || '(empty)'}`);
      out[k] = Number.parseInt(v, 10);
    }
  }
  return out;
}

async function runBench(a: Argv): Promise<number> {
  const args = benchArgv(a);
  const mod = await lazyImport('../bench/bench_main.js', 'bench');
  const fn = mod['runBench'];
  if (typeof fn !== 'function') throw new TortureError('USAGE', `Cannot run bench as 'bench_main.js' must export runBench(argv): current value is ${typeof fn}`);
  return exitCodeOf(await (fn as (argv: Record<string, string | number>) => unknown)(args));
}

/** Import and check a user lock-ops module before any guest starts (user_ops.ts owns the rules). */
async function validateOps(file: string): Promise<void> {
  const mod = await lazyImport('../torture/user_ops.js', '--ops');
  const fn = mod['validateOpsModule'];
  if (typeof fn !== 'function') throw new TortureError('USAGE', `Cannot use --ops as 'user_ops.js' must export validateOpsModule(file): current value is ${typeof fn}`);
  await (fn as (f: string) => Promise<unknown>)(file);
}

async function runLockdep(traces: readonly string[], a: Argv, argv: readonly string[], io: CliIo): Promise<number> {
  for (const arg of argv) {
    const m = /^--(all|json)=(.*)$/s.exec(arg);
    if (m !== null) throw usage(`Cannot use --${m[1] ?? ''} as 'it' must be given without a value: current value is ${arg}`);
  }
  const mod = await import('../lockdep/trace_cli.js');
  return mod.lockdepCommand({ traces, all: a['all'] === true, json: a['json'] === true }, io);
}

async function runSelftest(io: CliIo): Promise<number> {
  const mod = await lazyImport('../lockdep/selftest.js', 'selftest');
  const fn = mod['locking_selftest'];
  if (typeof fn !== 'function') throw new TortureError('USAGE', `Cannot run selftest as 'selftest.js' must export locking_selftest(print): current value is ${typeof fn}`);
  const r = (await (fn as (print: (l: string) => void) => unknown)(io.out)) as { failed?: unknown } | null;
  return r !== null && typeof r === 'object' && r.failed === 0 ? 0 : 1;
}

/** Options that take no value; yargs would read `--allcpus=foo` as false and run anyway. */
const FLAG_OPTIONS = ['allcpus', 'help', 'quiet'] as const;

function checkFlagsHaveNoValue(argv: readonly string[]): void {
  for (const arg of argv) {
    if (arg === '--') break;
    const m = /^--(?:no-)?([a-z-]+)=(.*)$/s.exec(arg);
    if (m !== null && (FLAG_OPTIONS as readonly string[]).includes(m[1] ?? '')) {
      throw usage(`Cannot use --${m[1] ?? ''} as 'it' must be given without a value: current value is ${arg}`);
    }
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  // The battery's commands parse their own (torture.sh-style, ordered) switches.
  if (argv[0] === 'nightly') return nightlyMain(argv.slice(1), io);
  if (argv[0] === 'report') return reportMain(argv.slice(1), io);
  if (argv[0] === 'merge') return mergeMain(argv.slice(1), io);
  checkFlagsHaveNoValue(argv);
  const a = await parseArgs(argv);
  if (a['help'] === true) {
    io.out(USAGE);
    return 0;
  }
  const cmd = a._[0];
  if (cmd === 'recheck') {
    const dirs = list(a['dirs']);
    if (dirs.length === 0) throw usage(`Cannot recheck as 'DIR...' must name at least one results directory: current value is (none)`);
    for (const d of dirs) {
      if (!existsSync(d) || !statSync(d).isDirectory()) throw usage(`Cannot recheck as 'DIR' must be a results directory: current value is ${d}`);
    }
    return recheckMain(dirs, io.out);
  }
  if (cmd === 'lockdep') {
    // yargs drops a lone `-` (standard input): the traces are the non-option words after the command.
    const at = argv.indexOf('lockdep');
    const traces = argv.slice(at + 1).filter((w) => w === '-' || !w.startsWith('-'));
    return runLockdep(traces, a, argv, io);
  }
  if (cmd === 'selftest') return runSelftest(io);
  if (cmd === 'bench') return runBench(a);
  if (cmd === 'again') return runAgain(a, argv, io);
  if (cmd !== undefined) throw usage(`Cannot run as '${String(cmd)}' must be one of recheck lockdep selftest bench again nightly report merge: current value is ${String(cmd)}`);

  const opts = checkRunOptions(a, argv);
  if (opts.opsModule !== undefined) await validateOps(opts.opsModule);
  const plan = buildPlan(opts);
  if (opts.dryrun !== undefined) {
    const text = opts.dryrun === 'batches' ? formatBatches(plan.batches) : opts.dryrun === 'scenarios' ? formatScenarios(plan.batches) : formatSched(plan.batches);
    for (const l of text.replace(/\n$/, '').split('\n')) io.out(l);
    return 0;
  }
  const guestMain = path.join(repoRoot(), 'dist', 'harness', 'guest', 'guest_main.js');
  if (!existsSync(guestMain)) {
    throw new TortureError('USAGE', `Cannot start guests as '${path.relative(process.cwd(), guestMain)}' must exist (run npm run build): current value is missing`);
  }
  checkResdirFree(plan.resdir);
  return runBatches(plan, guestMain, { out: io.out, display: terminalDisplay(io, a['quiet'] === true, plan.durationSec) });
}

async function runAgain(a: Argv, argv: readonly string[], io: CliIo): Promise<number> {
  const dir = last(a['dir']);
  if (dir === undefined || dir === '') throw usage(`Cannot run again as 'DIR' must name a results directory: current value is (none)`);
  const durText = last(a['duration']);
  const durationSec = durText === undefined ? undefined : parseDuration(durText);
  const graceText = last(a['shutdown-grace']);
  if (graceText !== undefined && !/^[0-9]+$/.test(graceText)) {
    throw usage(`Cannot use --shutdown-grace as 'SECS' must be an integer >= 0: current value is ${graceText || '(empty)'}`);
  }
  const ds = last(a['datestamp']);
  if (ds !== undefined) checkDatestamp(ds);
  const resultsText = last(a['results']);
  if (resultsText !== undefined) checkResultsRoot(path.resolve(resultsText), resultsText);
  const plan = againPlan({
    dir,
    ...(durationSec !== undefined ? { durationSec } : {}),
    ...(graceText !== undefined ? { shutdownGraceSec: Number.parseInt(graceText, 10) } : {}),
    ...(resultsText !== undefined ? { resultsRoot: resultsText } : {}),
    datestamp: ds ?? datestamp(new Date()),
    commandLine: ['torture', ...argv.map(shellQuote)].join(' '),
  });
  checkRunLength(plan.durationSec, plan.shutdownGraceSec);
  const guestMain = path.join(repoRoot(), 'dist', 'harness', 'guest', 'guest_main.js');
  checkResdirFree(plan.resdir);
  return runBatches(plan, guestMain, { out: io.out, display: terminalDisplay(io, a['quiet'] === true, plan.durationSec) });
}

function checkDatestamp(ds: string): void {
  if (!/^[a-zA-Z0-9._/-]+$/.test(ds) || ds.startsWith('/') || ds.split('/').some((p) => p === '..' || p === '.' || p === '')) {
    throw usage(`Cannot use --datestamp as 'NAME' must be a relative path of [a-zA-Z0-9._-] words separated by /: current value is ${ds || '(empty)'}`);
  }
}

/** The run's terminal display: live on a terminal of our own stdout, else plain (or quiet). */
export function terminalDisplay(io: CliIo, quiet: boolean, durationSec: number): ReturnType<typeof createRunDisplay> {
  const facts = { isTTY: io === defaultIo && process.stdout.isTTY, env: process.env, quiet };
  return createRunDisplay(displayMode(facts), colourWanted(facts), io.out, process.stdout, durationSec);
}

/** --results: the root may not exist yet, but nothing on its path may be a file. */
function checkResultsRoot(root: string, shown: string): void {
  for (let d = root; ; d = path.dirname(d)) {
    if (existsSync(d)) {
      if (!statSync(d).isDirectory()) throw usage(`Cannot use --results as '${shown}' must be a directory path: current value has a file at ${d}`);
      break;
    }
    if (path.dirname(d) === d) break;
  }
}

/** Entry point: returns the exit code; never throws. */
export async function main(argv: readonly string[] = process.argv.slice(2), io: CliIo = defaultIo): Promise<number> {
  if (io === defaultIo) {
    process.stdout.on('error', () => {
      stdoutBroken = true;
    });
  }
  try {
    return await dispatch(argv, io);
  } catch (e) {
    if (isTortureError(e)) {
      io.err(`torture: ${e.message.replace(/\s*\n\s*/g, ' ')}`);
      io.err(USAGE_HINT);
      return 2;
    }
    io.err(`torture: internal error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env['TORTURE_DEBUG'] !== undefined && e instanceof Error && e.stack !== undefined) io.err(e.stack);
    return 1;
  }
}
