/*
 * The nightly battery's plan (torture.sh's job list, see harness/nightly/README.md): which jobs run,
 * how long each guest runs, what each job expects, and which shard runs which job. Pure: reads
 * only configs/<suite>/ (through the driver's buildPlan, so a bad --configs-* list is bad input
 * before anything starts) and the lockdep examples directory listing.
 *
 * Guarantees: the same options give the same jobs, durations and shard assignment on every
 * machine (nothing here depends on the host); every planned job has an expectation.
 */

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expandConfigs, runNames } from '../config/configs_list.js';
import { parseCflist } from '../config/fragment_parse.js';
import { TortureError } from '../errors.js';
import type { TortureSuite } from '../guest/guest_spec.js';
import { buildPlan } from '../run/plan.js';
import { SUITES } from '../suites/index.js';
import { SCENARIO_GROUPS, type ScenarioGroup } from './battery_groups.js';
import { statIntervalFor } from '../suites/stat_interval.js';
import type { BatteryGroup, StepOutput } from '../formats/battery_files.js';
import type { StepExpect } from './expect.js';

export type { BatteryGroup, StepOutput } from '../formats/battery_files.js';
export { BATTERY_GROUPS } from './battery_groups.js';
import { LOCKDEP_EXAMPLE_EXPECTATIONS } from './lockdep_examples.js';



export interface Step {
  /** Subdirectory of the job directory holding this step's results. */
  readonly name: string;
  /** `torture` runs the CLI with `argv`; `node` runs a Node program (argv[0] is its path). */
  readonly runner: 'torture' | 'node';
  readonly argv: readonly string[];
  readonly expect: StepExpect;
  /**
   * Where the step's files go: `results-dir` steps start guests and get `--results BATTERY
   * --datestamp JOB/STEP` (the step directory is a plain results directory); `bench-json` steps get
   * `--json STEPDIR/bench.json`; `none` leave only their captured output.
   */
  readonly output: StepOutput;
  /**
   * An expected-failure step that ends at its event: its `--duration` is only a cap, and the
   * battery writes the step's STOP file once a console shows what `expect` waits for
   * (expectedEventSeen), so that a loaded host gets the time it needs and an idle one no more.
   */
  readonly stopAtEvent?: true;
  readonly cpuSeconds: number;
}

export interface Job {
  readonly name: string;
  readonly group: BatteryGroup;
  /** One line for people: what the job proves. */
  readonly what: string;
  readonly steps: readonly Step[];
  /** Expected CPU-seconds (guest CPUs x seconds, plus fixed estimates): the shard balance key. */
  readonly cpuSeconds: number;
}

export interface BatteryOptions {
  readonly durationSec: number;
  readonly groups: ReadonlySet<BatteryGroup>;
  /** `--configs-X "LIST"` of each scenario group X (empty or absent: the suite's CFLIST). */
  readonly configs: Readonly<Record<string, readonly string[]>>;
  readonly benchBaseline?: string;
  /** Passed to every guest step (`--seed N`): a battery, and each of its shards, reruns the same randomness. */
  readonly seed?: number;
  readonly configsRoot: string;
  readonly examplesDir: string;
  readonly shard?: { readonly index: number; readonly count: number };
}

export interface BatteryPlan {
  /** The jobs this process runs (all of them, or this shard's), in battery order. */
  readonly jobs: readonly Job[];
  /** Every job of the battery, whichever shard runs it. */
  readonly allJobs: readonly Job[];
  /** Jobs of every shard (index 0 = shard 1), for --dryrun and for the record. */
  readonly shards: readonly (readonly string[])[];
  /**
   * Guest duration of each kind of run, seconds: one entry per scenario group (`rcutorture`, ...),
   * then `checks` and `seed` (the same as `checks`, kept apart for the record).
   */
  readonly perRunSec: Readonly<Record<string, number>>;
}

/**
 * torture.sh's 7:1:2 split (rcutorture:locktorture:scftorture): each suite declares its weight
 * (`Suite.battery.weight`); the 2 goes to the expected-failure checks.
 */
export const CHECKS_WEIGHT = 2;
/**
 * What one guest job costs on top of its duration, seconds: the step's Node start, the guest's
 * boot (about 1.2 s to rcu_init on a loaded 2-core host), shutdown and recheck. Measured: 4-8 s.
 */
export const GUEST_OVERHEAD_SEC = 5;
/** Shortest useful guest: two stats intervals of `max(2, duration/4)` seconds. */
export const MIN_RUN_SEC = 4;
/**
 * The expected-failure checks need their first stats print to fail (BUSTED's `!!!`, the seed's
 * report from mem_dump_obj()): about 3.4 s after boot on 2 busy cores, later under heavy load.
 * The floor of the time they are planned (and balanced) for; they run until their event, but a
 * BUSTED that fails only when its test ends (SuiteBattery.bustedShows 'end') runs this time.
 */
export const MIN_CHECK_RUN_SEC = 6;
/**
 * The most an expected-failure run may take to show its event (its `--duration`). Measured on a
 * 2-core host at load 13-26, 10 runs: the seed's report came 6.0-6.2 s after Start of test (its
 * third stats print; 6.8-8.1 s after boot, so a 6 s run missed it), BUSTED's `!!!` sooner; the cap
 * leaves a heavier host 20 times that.
 */
export const CHECK_CAP_SEC = 120;
/** Fixed estimates for the jobs that start no guest (seconds of one core). */
const SELFTEST_SEC = 3;
const EXAMPLE_SEC = 1;
/** A few rows of each kind the report shows against the CAS floor (the floor is added by the bench). */
export const BENCH_FILTER =
  'spin_lock.lock_unlock.uncontended,mutex.*.uncontended,percpu_rwsem.await_down_up_read.uncontended,rcu.read_lock_unlock.uncontended,spin_lock.lock_unlock.uncontended.lockdep,baseline.async_mutex.uncontended';
export const BENCH_TIME_MS = 100;
/** Measured: 25-30 s for these rows on a loaded 2-core host (three fresh processes per row). */
const BENCH_SEC = 25;

/** The seed's buggy order (1f0723a4c0df) and the classes its circular report must name. */
export const SEED_BOOTARGS = 'slub.debug_key_under_slab_mutex=1';
export const SEED_CLASSES = ['cpu_hotplug_lock', 'slab_mutex'] as const;

interface RunJobSpec {
  readonly suite: TortureSuite;
  readonly base: string;
  readonly bootargs?: string;
}

/** CPUs a scenario's guest has (CONFIG_NR_CPUS after boot-line limits), from the driver's own plan. */
function nrCpusOf(o: BatteryOptions, suite: TortureSuite, base: string): number {
  const plan = buildPlan({
    suite,
    durationSec: 60,
    shutdownGraceSec: 0,
    ncpus: 0,
    configs: [base],
    bootargs: [],
    kconfig: [],
    resultsRoot: '/nonexistent',
    datestamp: 'plan',
    commandLine: '',
    configsRoot: o.configsRoot,
    // Only the scenario's CPU count is read from this plan; the run itself chooses its seed.
    seed: 0,
  });
  return [...plan.scenarios.values()][0]?.nrCpus ?? 1;
}

function runArgv(o: BatteryOptions, r: RunJobSpec, durationSec: number): string[] {
  return [
    '--torture',
    r.suite,
    '--configs',
    r.base,
    '--duration',
    `${durationSec}s`,
    ...(r.bootargs !== undefined ? ['--bootargs', r.bootargs] : []),
    ...(o.seed !== undefined ? ['--seed', String(o.seed)] : []),
  ];
}

function runStep(o: BatteryOptions, name: string, r: RunJobSpec, durationSec: number, expect: StepExpect): Step {
  return { name, runner: 'torture', argv: runArgv(o, r, durationSec), expect, output: 'results-dir', cpuSeconds: nrCpusOf(o, r.suite, r.base) * (durationSec + GUEST_OVERHEAD_SEC) };
}

/**
 * An expected-failure step: planned (and balanced) for `durationSec`, run until its event with
 * the cap as its --duration (at least the planned time, for a battery given more than the cap).
 * Its stats print as often as in a run of the planned time (the events come with a stats print),
 * not every 15 s as the cap's length would give.
 */
function eventStep(o: BatteryOptions, name: string, r: RunJobSpec, durationSec: number, expect: StepExpect): Step {
  const planned = runStep(o, name, r, durationSec, expect);
  const stats = `${SUITES[r.suite].tortureModule}.stat_interval=${statIntervalFor(durationSec)}`;
  const bootargs = r.bootargs !== undefined ? `${r.bootargs} ${stats}` : stats;
  return { ...planned, argv: runArgv(o, { ...r, bootargs }, Math.max(durationSec, CHECK_CAP_SEC)), stopAtEvent: true };
}

function job(name: string, group: BatteryGroup, what: string, steps: Step[]): Job {
  return { name, group, what, steps, cpuSeconds: steps.reduce((s, x) => s + x.cpuSeconds, 0) };
}

/** Scenario base names of a --configs-* list (CFLIST expanded against the suite's CFLIST). */
function suiteRuns(o: BatteryOptions, suite: TortureSuite, configs: readonly string[]): { base: string; name: string }[] {
  const cflist = (): string[] => {
    const f = path.join(o.configsRoot, suite, 'CFLIST');
    if (!existsSync(f)) throw new TortureError('CONFIG_BAD_FILE', `Cannot expand CFLIST as '${f}' must exist: current value is missing`);
    return parseCflist(readFileSync(f, 'utf8'), `${suite}/CFLIST`);
  };
  const bases = expandConfigs(configs.length > 0 ? configs : ['CFLIST'], cflist);
  // Loading each one checks that it exists and parses (bad input before anything starts).
  for (const b of new Set(bases)) nrCpusOf(o, suite, b);
  const names = runNames(bases);
  return bases.map((base, i) => ({ base, name: names[i] ?? base }));
}

/** torture.sh's apportioning: each group's share of the guest time, split over its runs. */
function perRunDurations(o: BatteryOptions, scenarios: readonly GroupRuns[], nChecks: number, fixedSec: number): Record<string, number> {
  const weight = scenarios.reduce((w, g) => w + (g.runs.length > 0 ? g.group.weight : 0), 0) + (nChecks > 0 ? CHECKS_WEIGHT : 0);
  const runs = scenarios.reduce((n, g) => n + g.runs.length, 0) + nChecks;
  const budget = Math.max(0, o.durationSec - fixedSec - runs * GUEST_OVERHEAD_SEC);
  const share = (w: number, n: number, min: number): number => (n === 0 || weight === 0 ? 0 : Math.max(min, Math.floor((budget * w) / weight / n)));
  const checks = share(CHECKS_WEIGHT, nChecks, MIN_CHECK_RUN_SEC);
  const out: Record<string, number> = {};
  for (const g of scenarios) out[g.group.group] = share(g.group.weight, g.runs.length, MIN_RUN_SEC);
  return { ...out, checks, seed: checks };
}

/** A scenario group and the scenario runs the battery makes of it. */
interface GroupRuns {
  readonly group: ScenarioGroup;
  readonly runs: readonly { readonly base: string; readonly name: string }[];
}

/** Longest-processing-time-first over N shards: deterministic, balanced by expected CPU-seconds. */
export function assignShards(jobs: readonly Job[], count: number): string[][] {
  const shards: { load: number; names: string[] }[] = Array.from({ length: count }, () => ({ load: 0, names: [] }));
  const order = [...jobs].sort((a, b) => b.cpuSeconds - a.cpuSeconds || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const j of order) {
    let best = 0;
    for (let i = 1; i < count; i++) if ((shards[i]?.load ?? 0) < (shards[best]?.load ?? 0)) best = i;
    const s = shards[best];
    if (s !== undefined) {
      s.load += j.cpuSeconds;
      s.names.push(j.name);
    }
  }
  // Each shard runs its jobs in the battery's order, not in balancing order.
  const pos = new Map(jobs.map((j, i) => [j.name, i]));
  return shards.map((s) => s.names.sort((a, b) => (pos.get(a) ?? 0) - (pos.get(b) ?? 0)));
}

/** The lockdep examples: every file of the directory, each with its expectation. */
function exampleSteps(o: BatteryOptions): Step[] {
  let files: string[];
  try {
    files = readdirSync(o.examplesDir).filter((f) => f.endsWith('.jsonl') || f.endsWith('.mjs')).sort();
  } catch {
    throw new TortureError('CONFIG_BAD_FILE', `Cannot plan the lockdep examples as '${o.examplesDir}' must be a directory: current value is missing`);
  }
  return files.map((f): Step => {
    const file = path.join(o.examplesDir, f);
    const expect = LOCKDEP_EXAMPLE_EXPECTATIONS[f];
    if (expect === undefined) {
      throw new TortureError('CONFIG_BAD_FILE', `Cannot plan the lockdep example ${f} as 'its expectation' must be listed in harness/nightly/lockdep_examples.ts: current value is missing`);
    }
    const stepName = f.replace(/\.(jsonl|mjs)$/, '');
    return f.endsWith('.jsonl')
      ? { name: stepName, runner: 'torture', argv: ['lockdep', file], expect, output: 'none', cpuSeconds: EXAMPLE_SEC }
      : { name: stepName, runner: 'node', argv: [file], expect, output: 'none', cpuSeconds: EXAMPLE_SEC };
  });
}

export function planBattery(o: BatteryOptions): BatteryPlan {
  const on = (g: BatteryGroup): boolean => o.groups.has(g);
  const scenarios: GroupRuns[] = SCENARIO_GROUPS.map((g) => ({ group: g, runs: on(g.group) ? suiteRuns(o, g.suite, o.configs[g.group] ?? []) : [] }));
  const nChecks = (on('busted') ? SCENARIO_GROUPS.length : 0) + (on('seed') ? 2 : 0);
  const examples = on('lockdep') ? exampleSteps(o) : [];
  const fixed = (on('selftest') ? SELFTEST_SEC : 0) + examples.length * EXAMPLE_SEC + (on('bench') ? BENCH_SEC : 0);
  const per = perRunDurations(o, scenarios, nChecks, fixed);
  const checksSec = per['checks'] ?? MIN_CHECK_RUN_SEC;

  const jobs: Job[] = [];
  for (const { group: g, runs } of scenarios) {
    const sec = per[g.group] ?? MIN_RUN_SEC;
    const spec = (base: string): RunJobSpec => ({ suite: g.suite, base, ...(g.bootargs !== '' ? { bootargs: g.bootargs } : {}) });
    for (const r of runs) jobs.push(job(`${g.group}-${r.name}`, g.group, `${g.group} scenario ${r.base}${g.scenarioNote}`, [runStep(o, 'run', spec(r.base), sec, { kind: 'success' })]));
  }
  if (on('selftest')) {
    jobs.push(job('selftest', 'selftest', 'lib/locking-selftest.c, run by the real validator', [{ name: 'run', runner: 'torture', argv: ['selftest'], expect: { kind: 'success' }, output: 'none', cpuSeconds: SELFTEST_SEC }]));
  }
  if (on('busted')) {
    for (const g of SCENARIO_GROUPS) {
      const what = `${g.group} ${g.busted} must fail (proves the checks can fail)`;
      const step = g.bustedShows === 'stats' ? eventStep : runStep;
      jobs.push(job(`${g.suite}-busted`, 'busted', what, [step(o, 'run', { suite: g.suite, base: g.busted }, checksSec, { kind: 'torture-failure' })]));
    }
  }
  if (on('seed')) {
    jobs.push(
      job('seed', 'seed', 'the seed regression: the buggy order reports cpu_hotplug_lock/slab_mutex, the fixed order is clean', [
        eventStep(o, 'buggy', { suite: 'rcu', base: 'TREE05', bootargs: SEED_BOOTARGS }, checksSec, { kind: 'circular', classes: SEED_CLASSES, exit: 1 }),
        runStep(o, 'fixed', { suite: 'rcu', base: 'TREE05' }, checksSec, { kind: 'success' }),
      ]),
    );
  }
  if (examples.length > 0) jobs.push(job('lockdep-examples', 'lockdep', 'the lockdep trace and program examples give their reports', examples));
  if (on('bench')) {
    const argv = ['bench', BENCH_FILTER, '--time', String(BENCH_TIME_MS), ...(o.benchBaseline !== undefined ? ['--compare', o.benchBaseline] : [])];
    jobs.push(job('bench', 'bench', `short benchmark (${BENCH_TIME_MS} ms rows)${o.benchBaseline !== undefined ? ' compared with the given bench.json' : ''}`, [{ name: 'run', runner: 'torture', argv, expect: { kind: 'success' }, output: 'bench-json', cpuSeconds: BENCH_SEC }]));
  }

  const shardCount = o.shard?.count ?? 1;
  const shards = assignShards(jobs, shardCount);
  const mineNames = new Set(o.shard === undefined ? jobs.map((j) => j.name) : (shards[o.shard.index - 1] ?? []));
  const mine = jobs.filter((j) => mineNames.has(j.name));
  return { jobs: mine, allJobs: jobs, shards, perRunSec: per };
}
