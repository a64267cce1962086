/*
 * `torture nightly`: torture.sh's battery (harness/nightly/). Its switches are torture.sh's and,
 * as there, apply in the order given (`--do-none --do-seed` runs only the seed regression), so it
 * reads its words in order (rawArgs, harness/cli/ordered_args.ts). Every value is checked before
 * anything starts: bad input is one TortureError line (exit 2).
 */

import path from 'node:path';
import { option } from '../cli/cli_option.js';
import { DATESTAMP, DURATION, existingFile, FLAG, RESULTS_ROOT, SEED, shard, text } from '../cli/option_kinds.js';
import { groupSwitch, orderedArgs } from '../cli/ordered_args.js';
import { commandLineOf } from '../cli/shell_quote.js';
import { datestamp as kvmDatestamp } from '../lib/kvm_date.js';
import type { BatteryGroup } from '../formats/battery_files.js';
import { BATTERY_GROUPS, SCENARIO_GROUPS } from '../nightly/battery_groups.js';
import type { BatteryOptions } from '../nightly/battery_plan.js';
import { builtEntry } from '../lib/dist_entry.js';
import { repoRoot } from '../lib/repo_root.js';
import { usage, type Command } from './command.js';

/** torture.sh's default duration_base (10 minutes), in seconds. */
const DEFAULT_BATTERY_SEC = 10 * 60;

const OPTIONS = {
  duration: option(DURATION, "the battery's whole time, split over its guests 7:1:2 (rcu:lock:checks);\na bare number is minutes (default 10m)"),
  'do-X': option(FLAG, `run group X; --do-no-X or --no-X: do not. Applied in the order given.\nX: ${BATTERY_GROUPS.join(' ')}`),
  'do-all': option(FLAG, 'every group (also --doall)'),
  'do-none': option(FLAG, 'no group, so that the --do-X after it choose (also --donone)'),
  'bench-baseline': option(existingFile('OLD.json', 'an existing bench.json'), 'the bench job compares its rows with this earlier bench.json'),
  seed: option(SEED, 'the seed of every guest run (default: each run chooses and prints its own)'),
  shard: option(shard(64), 'run the I-th of N deterministic parts (balanced by expected CPU-seconds)'),
  dryrun: option(FLAG, "print the jobs, each step's command and expected CPU-seconds, and exit"),
  datestamp: option(DATESTAMP, 'results subdirectory (default: YYYY.MM.DD-HH.MM.SS-nightly, .2 .3 ... when taken)'),
  results: option(RESULTS_ROOT, 'results root (default: ./results)'),
} as const;

/** `--configs-X "LIST"` for each scenario group X (one per suite: harness/nightly/battery_groups.ts). */
const CONFIGS_OPTIONS = Object.fromEntries(
  SCENARIO_GROUPS.map((g) => [`configs-${g.group}`, option(text('"LIST"'), `${g.group}'s scenarios (default: configs/${g.suite}/CFLIST); may be repeated`, { repeat: true })]),
);

/** The options in help order: the group switches, then each scenario group's list, then the rest. */
const { duration, 'do-X': doX, 'do-all': doAll, 'do-none': doNone, ...LATER_OPTIONS } = OPTIONS;
const HELP_OPTIONS = { duration, 'do-X': doX, 'do-all': doAll, 'do-none': doNone, ...CONFIGS_OPTIONS, ...LATER_OPTIONS };

/** The words --do-X may carry, named in the unknown-switch message. */
const SWITCH_WORDS = `--duration --do-X --do-no-X --no-X --do-all --do-none ${SCENARIO_GROUPS.map((g) => `--configs-${g.group}`).join(' ')} --bench-baseline --seed --shard --dryrun --datestamp --results`;

export interface NightlyArgs {
  readonly battery: BatteryOptions;
  readonly resultsRoot: string;
  readonly datestamp: string;
  /** No --datestamp was given: a default already taken gets a `.N` suffix. */
  readonly uniqueDatestamp: boolean;
  readonly dryrun: boolean;
}

/** nightly's words, in order, into the battery's options. */
export function parseNightlyArgs(argv: readonly string[], now: Date = new Date()): NightlyArgs {
  const groups = new Set<BatteryGroup>(BATTERY_GROUPS);
  let durationSec = DEFAULT_BATTERY_SEC;
  const configs = new Map<string, string[]>(SCENARIO_GROUPS.map((g) => [g.group, []]));
  let ds: string | undefined;
  let resultsRoot = path.resolve('results');
  let dryrun = false;
  let shardOf: { index: number; count: number } | undefined;
  let benchBaseline: string | undefined;
  let seed: number | undefined;
  for (const o of orderedArgs(argv)) {
    const n = o.name;
    const g = groupSwitch(n, BATTERY_GROUPS);
    const list = configs.get(/^--configs?-(.+)$/.exec(n)?.[1] ?? '');
    if (n === '--duration') durationSec = OPTIONS.duration.kind.parse(o.value(), n);
    else if (list !== undefined) list.push(o.value());
    else if (n === '--do-all' || n === '--doall') for (const x of BATTERY_GROUPS) groups.add(x);
    else if (n === '--do-none' || n === '--donone') groups.clear();
    else if (n === '--dryrun') dryrun = true;
    else if (n === '--seed') seed = OPTIONS.seed.kind.parse(o.value(), n);
    else if (n === '--datestamp') ds = OPTIONS.datestamp.kind.parse(o.value(), n);
    else if (n === '--results') resultsRoot = OPTIONS.results.kind.parse(o.value(), n);
    else if (n === '--bench-baseline') benchBaseline = OPTIONS['bench-baseline'].kind.parse(o.value(), n);
    else if (n === '--shard') shardOf = OPTIONS.shard.kind.parse(o.value(), n);
    else if (g !== null) {
      if (g.on) groups.add(g.word);
      else groups.delete(g.word);
    } else {
      throw usage(`Cannot run nightly as '${n}' must be one of ${SWITCH_WORDS} (X: ${BATTERY_GROUPS.join(' ')}): current value is ${n}`);
    }
  }
  for (const [group, v] of configs) {
    if (v.length > 0 && v.every((x) => x.trim() === '')) throw usage(`Cannot use --configs-${group} as 'its value' must not be empty: current value is (empty)`);
  }
  const suffix = shardOf !== undefined ? `-shard-${shardOf.index}-of-${shardOf.count}` : '';
  return {
    battery: {
      durationSec,
      groups,
      configs: Object.fromEntries(configs),
      configsRoot: path.resolve(process.env['TORTURE_CONFIGS'] ?? path.join(repoRoot(), 'configs')),
      examplesDir: process.env['TORTURE_LOCKDEP_EXAMPLES'] ?? path.join(repoRoot(), 'harness', 'lockdep', 'examples'),
      ...(benchBaseline !== undefined ? { benchBaseline } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(shardOf !== undefined ? { shard: shardOf } : {}),
    },
    resultsRoot,
    datestamp: ds ?? `${kvmDatestamp(now)}-nightly${suffix}`,
    uniqueDatestamp: ds === undefined,
    dryrun,
  };
}

export const nightly: Command = {
  name: 'nightly',
  yargs: 'nightly',
  describe: 'run the nightly battery',
  synopsis: [
    'nightly [--duration D] [--do-X | --do-no-X | --no-X]... [--do-all] [--do-none]',
    `                       ${SCENARIO_GROUPS.map((g) => `[--configs-${g.group} "LIST"]`).join(' ')}`,
    '                       [--bench-baseline OLD.json] [--seed N] [--shard I/N] [--dryrun]',
    '                       [--datestamp NAME] [--results DIR]',
  ],
  about: `The battery (torture.sh): rcutorture's CFLIST, locktorture's CFLIST with CPU hotplug, the
locking self-test, both BUSTED scenarios (which pass when they fail), the seed regression,
the lockdep examples and a short benchmark. \`torture merge\` joins the results of --shard runs.`,
  options: HELP_OPTIONS,
  notes: `Results: RESULTS/DATESTAMP-nightly/<job>/..., index.html, junit.xml, nightly.json.
Exit status: 0 every job met its expectation, 1 a job did not, 2 bad input.`,
  rawArgs: true,
  async handler(_a, { argv, io }) {
    const a = parseNightlyArgs(argv);
    // The planner and the runner load only when the battery is wanted (README.md, start-up).
    const { planBattery } = await import('../nightly/battery_plan.js');
    const plan = planBattery(a.battery);
    const { runBattery, stepCommand } = await import('../nightly/run_battery.js');
    if (a.dryrun) {
      io.out(`# battery: ${plan.jobs.length} jobs; per guest: ${Object.entries(plan.perRunSec).map(([k, v]) => `${k} ${v}s`).join(', ')}`);
      for (const j of plan.jobs) {
        const shardNo = plan.shards.findIndex((s) => s.includes(j.name)) + 1;
        io.out(`${j.name} (${Math.round(j.cpuSeconds)} CPU-s${plan.shards.length > 1 ? `, shard ${shardNo}/${plan.shards.length}` : ''}): ${j.steps.map((s) => stepCommand(s)).join(' ; ')}`);
      }
      return 0;
    }
    if (plan.jobs.length === 0) throw usage(`Cannot run nightly as 'the battery' must have at least one job: current value is none (all switched off${a.battery.shard !== undefined ? ', or an empty shard' : ''})`);
    builtEntry('jobChild', 'start the battery');
    const resdir = path.join(a.resultsRoot, a.datestamp);
    const { checkResdirFree } = await import('../run/run_session.js');
    checkResdirFree(resdir, a.uniqueDatestamp);
    return runBattery(plan, { resdir, uniqueResdir: a.uniqueDatestamp, commandLine: commandLineOf(['nightly', ...argv]), durationSec: a.battery.durationSec, shard: a.battery.shard ?? null }, io);
  },
};
