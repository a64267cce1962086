/*
 * `torture nightly`, `torture report` and `torture merge`: argument checking and the three
 * handlers. nightly's switches are torture.sh's and, as there, are applied in the order given
 * (`--do-none --do-seed` runs only the seed regression). Every value is checked before anything
 * starts: bad input is one TortureError line (exit 2).
 */

import { cpSync, existsSync, mkdirSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { TortureError } from '../errors.js';
import { datestamp as kvmDatestamp } from '../lib/kvm_date.js';
import { parseDuration } from '../run/duration.js';
import { parseSeed } from '../run/driver_options.js';
import { builtEntry } from '../lib/dist_entry.js';
import { repoRoot } from '../lib/repo_root.js';
import { checkResdirFree } from '../run/run_batches.js';
import { BATTERY_GROUPS, DEFAULT_BATTERY_SEC, planBattery, type BatteryGroup, type BatteryOptions } from './battery_plan.js';
import { NIGHTLY_JSON, readBatteryRecord, writeBatteryRecord, type BatteryRecord, type JobRecord } from '../formats/battery_files.js';
import { writeBatteryOutputs } from './battery_record.js';
import { runBattery, stepCommand } from './run_battery.js';
import { writeJunit } from '../report/junit.js';
import { writeReport } from '../report/write_report.js';

export interface NightlyIo {
  readonly out: (line: string) => void;
}

export const NIGHTLY_USAGE = `Usage: torture nightly [--duration D] [--do-X | --do-no-X | --no-X]... [--do-all] [--do-none]
                       [--configs-rcutorture "LIST"] [--configs-locktorture "LIST"]
                       [--bench-baseline OLD.json] [--seed N] [--shard I/N] [--dryrun]
                       [--datestamp NAME] [--results DIR]
       torture report DIR
       torture merge DIR... [--datestamp NAME] [--results DIR]

The battery (torture.sh): rcutorture's CFLIST, locktorture's CFLIST with CPU hotplug, the
locking self-test, both BUSTED scenarios (which pass when they fail), the seed regression,
the lockdep examples and a short benchmark. X is one of: ${BATTERY_GROUPS.join(' ')}.
  --duration D   the battery's whole time, split over its guests 7:1:2 (rcu:lock:checks);
                 a bare number is minutes (default 10m)
  --seed N       the seed of every guest run (default: each run chooses and prints its own)
  --shard I/N    run the I-th of N deterministic parts (balanced by expected CPU-seconds)
Results: RESULTS/DATESTAMP-nightly/<job>/..., index.html, junit.xml, nightly.json.
Exit status: 0 every job met its expectation, 1 a job did not, 2 bad input.`;

function usage(message: string): TortureError {
  return new TortureError('USAGE', message);
}

function checkDatestamp(ds: string): string {
  if (!/^[a-zA-Z0-9._/-]+$/.test(ds) || ds.startsWith('/') || ds.split('/').some((p) => p === '..' || p === '.' || p === '')) {
    throw usage(`Cannot use --datestamp as 'NAME' must be a relative path of [a-zA-Z0-9._-] words separated by /: current value is ${ds || '(empty)'}`);
  }
  return ds;
}

function checkResultsRoot(text: string): string {
  if (text === '') throw usage(`Cannot use --results as 'DIR' must be a directory path: current value is (empty)`);
  const abs = path.resolve(text);
  if (existsSync(abs) && !statSync(abs).isDirectory()) throw usage(`Cannot use --results as '${text}' must be a directory: current value is a file`);
  return abs;
}

/** Split `--opt=value` and take option values, torture.sh-style, in order. */
function* options(argv: readonly string[]): Generator<{ name: string; value: () => string }> {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    let used = false;
    yield {
      name,
      value: () => {
        used = true;
        if (inline !== undefined) return inline;
        const v = argv[i + 1];
        if (v === undefined || v.startsWith('--')) throw usage(`Cannot use ${name} as 'its value' must follow it: current value is (none)`);
        i++;
        return v;
      },
    };
    if (!used && inline !== undefined) throw usage(`Cannot use ${name} as 'it' must be given without a value: current value is ${a}`);
  }
}

export interface NightlyArgs {
  readonly battery: BatteryOptions;
  readonly resultsRoot: string;
  readonly datestamp: string;
  readonly dryrun: boolean;
  readonly help: boolean;
}

export function parseNightlyArgs(argv: readonly string[], now: Date = new Date()): NightlyArgs {
  const groups = new Set<BatteryGroup>(BATTERY_GROUPS);
  let durationSec = DEFAULT_BATTERY_SEC;
  const rcu: string[] = [];
  const lock: string[] = [];
  let ds: string | undefined;
  let results = 'results';
  let dryrun = false;
  let help = false;
  let shard: { index: number; count: number } | undefined;
  let benchBaseline: string | undefined;
  let seed: number | undefined;
  for (const o of options(argv)) {
    const n = o.name;
    const g = /^--(do-no-|no-|do-)(.+)$/.exec(n);
    if (n === '--help') help = true;
    else if (n === '--duration') durationSec = parseDuration(o.value());
    else if (n === '--configs-rcutorture' || n === '--config-rcutorture') rcu.push(o.value());
    else if (n === '--configs-locktorture' || n === '--config-locktorture') lock.push(o.value());
    else if (n === '--do-all' || n === '--doall') for (const x of BATTERY_GROUPS) groups.add(x);
    else if (n === '--do-none' || n === '--donone') groups.clear();
    else if (n === '--dryrun') dryrun = true;
    else if (n === '--seed') seed = parseSeed(o.value());
    else if (n === '--datestamp') ds = checkDatestamp(o.value());
    else if (n === '--results') results = o.value();
    else if (n === '--bench-baseline') {
      const f = o.value();
      if (!existsSync(f) || !statSync(f).isFile()) throw usage(`Cannot use --bench-baseline as 'OLD.json' must be an existing bench.json: current value is ${f || '(empty)'}`);
      benchBaseline = path.resolve(f);
    } else if (n === '--shard') {
      const v = o.value();
      const m = /^([0-9]+)\/([0-9]+)$/.exec(v);
      const index = Number(m?.[1]);
      const count = Number(m?.[2]);
      if (m === null || count < 1 || count > 64 || index < 1 || index > count) throw usage(`Cannot use --shard as 'I/N' must be two integers with 1 <= I <= N <= 64: current value is ${v || '(empty)'}`);
      shard = { index, count };
    } else if (g !== null && (BATTERY_GROUPS as readonly string[]).includes(g[2] ?? '')) {
      const x = g[2] as BatteryGroup;
      if (g[1] === 'do-') groups.add(x);
      else groups.delete(x);
    } else {
      throw usage(`Cannot run nightly as '${n}' must be one of --duration --do-X --do-no-X --no-X --do-all --do-none --configs-rcutorture --configs-locktorture --bench-baseline --seed --shard --dryrun --datestamp --results (X: ${BATTERY_GROUPS.join(' ')}): current value is ${n}`);
    }
  }
  for (const [k, v] of [
    ['--configs-rcutorture', rcu],
    ['--configs-locktorture', lock],
  ] as const) {
    if (v.length > 0 && v.every((x) => x.trim() === '')) throw usage(`Cannot use ${k} as 'its value' must not be empty: current value is (empty)`);
  }
  const suffix = shard !== undefined ? `-shard-${shard.index}-of-${shard.count}` : '';
  return {
    battery: {
      durationSec,
      groups,
      configsRcutorture: rcu,
      configsLocktorture: lock,
      configsRoot: path.resolve(process.env['TORTURE_CONFIGS'] ?? path.join(repoRoot(), 'configs')),
      examplesDir: process.env['TORTURE_LOCKDEP_EXAMPLES'] ?? path.join(repoRoot(), 'harness', 'lockdep', 'examples'),
      ...(benchBaseline !== undefined ? { benchBaseline } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(shard !== undefined ? { shard } : {}),
    },
    resultsRoot: checkResultsRoot(results),
    datestamp: ds ?? `${kvmDatestamp(now)}-nightly${suffix}`,
    dryrun,
    help,
  };
}

function shellQuote(a: string): string {
  return /^[A-Za-z0-9_./=:,*+-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
}

export async function nightlyMain(argv: readonly string[], io: NightlyIo): Promise<number> {
  const a = parseNightlyArgs(argv);
  if (a.help) {
    io.out(NIGHTLY_USAGE);
    return 0;
  }
  const plan = planBattery(a.battery);
  if (a.dryrun) {
    io.out(`# battery: ${plan.jobs.length} jobs; per guest: rcutorture ${plan.perRunSec.rcutorture}s, locktorture ${plan.perRunSec.locktorture}s, checks ${plan.perRunSec.checks}s, seed ${plan.perRunSec.seed}s`);
    for (const j of plan.jobs) {
      const shardOf = plan.shards.findIndex((s) => s.includes(j.name)) + 1;
      io.out(`${j.name} (${Math.round(j.cpuSeconds)} CPU-s${plan.shards.length > 1 ? `, shard ${shardOf}/${plan.shards.length}` : ''}): ${j.steps.map((s) => stepCommand(s)).join(' ; ')}`);
    }
    return 0;
  }
  if (plan.jobs.length === 0) throw usage(`Cannot run nightly as 'the battery' must have at least one job: current value is none (all switched off${a.battery.shard !== undefined ? ', or an empty shard' : ''})`);
  builtEntry('jobChild', 'start the battery');
  const resdir = path.join(a.resultsRoot, a.datestamp);
  checkResdirFree(resdir);
  return runBattery(plan, { resdir, commandLine: ['torture', 'nightly', ...argv.map(shellQuote)].join(' '), durationSec: a.battery.durationSec, shard: a.battery.shard ?? null }, io);
}

function checkResultsDir(d: string, what: string): string {
  if (!existsSync(d) || !statSync(d).isDirectory()) throw usage(`Cannot ${what} as 'DIR' must be a results directory: current value is ${d || '(empty)'}`);
  return path.resolve(d);
}

/** `torture report DIR`: index.html and junit.xml for any results directory. */
export function reportMain(argv: readonly string[], io: NightlyIo): number {
  if (argv.length !== 1 || (argv[0] ?? '').startsWith('--')) throw usage(`Cannot write a report as 'DIR' must be exactly one results directory: current value is ${argv.join(' ') || '(none)'}`);
  const dir = checkResultsDir(argv[0] ?? '', 'write a report');
  io.out(`Report: ${writeReport(dir)}`);
  io.out(`JUnit: ${writeJunit(dir)}`);
  return 0;
}

/** `torture merge DIR...`: the shards of one battery into one results directory. */
export function mergeMain(argv: readonly string[], io: NightlyIo, now: Date = new Date()): number {
  const dirs: string[] = [];
  let ds: string | undefined;
  let results = 'results';
  for (const o of options(argv)) {
    if (o.name === '--datestamp') ds = checkDatestamp(o.value());
    else if (o.name === '--results') results = o.value();
    else if (o.name.startsWith('--')) throw usage(`Cannot merge as '${o.name}' must be one of --datestamp --results: current value is ${o.name}`);
    else dirs.push(checkResultsDir(o.name, 'merge'));
  }
  if (dirs.length === 0) throw usage(`Cannot merge as 'DIR...' must name at least one shard results directory: current value is (none)`);
  const records = dirs.map((d) => {
    const r = readBatteryRecord(d);
    if (r === null) throw usage(`Cannot merge as '${d}' must be a nightly battery directory (with ${NIGHTLY_JSON}): current value has none`);
    return { dir: d, r };
  });
  const first = records[0]?.r;
  if (first === undefined) return 2;
  const sameBattery = (r: BatteryRecord): boolean => JSON.stringify(r.shards) === JSON.stringify(first.shards);
  const seen = new Set<number>();
  for (const { dir, r } of records) {
    if (!sameBattery(r)) throw usage(`Cannot merge as '${dir}' must be a shard of the same battery as '${records[0]?.dir ?? ''}' (same options, same plan): current value plans other jobs`);
    const idx = r.shard?.index ?? 1;
    if (seen.has(idx)) throw usage(`Cannot merge as 'each shard' must be given once: current value has shard ${idx}/${first.shards.length} twice`);
    seen.add(idx);
  }
  const outdir = path.join(checkResultsRoot(results), ds ?? `${kvmDatestamp(now)}-merged`);
  checkResdirFree(outdir);
  mkdirSync(outdir, { recursive: true });
  const byName = new Map<string, { job: JobRecord; dir: string }>();
  for (const { dir, r } of records) for (const j of r.jobs) byName.set(j.name, { job: j, dir });
  // The battery's own order; a job of a shard not given is recorded as not run (a failure).
  const jobs: JobRecord[] = [];
  for (const p of first.planned) {
    const n = p.name;
    const got = byName.get(n);
    if (got === undefined) {
      const shard = first.shards.findIndex((s) => s.includes(n)) + 1;
      jobs.push({ ...p, cpuSeconds: 0, state: 'not-run', passed: false, reasons: [`not run: shard ${shard}/${first.shards.length} not among the merged directories`], seconds: null, steps: [] });
      continue;
    }
    const src = path.join(got.dir, n);
    if (existsSync(src)) cpSync(src, path.join(outdir, n), { recursive: true });
    jobs.push({ ...got.job, fromShard: got.dir });
  }
  const starts = records.map((x) => x.r.startedAt).sort();
  const ends = records.map((x) => x.r.endedAt ?? x.r.startedAt).sort();
  const commandLine = ['torture', 'merge', ...argv.map(shellQuote)].join(' ');
  const record: BatteryRecord = {
    version: 1,
    commandLine,
    startedAt: starts[0] ?? now.toISOString(),
    endedAt: ends[ends.length - 1] ?? now.toISOString(),
    durationSec: first.durationSec,
    shard: null,
    shards: first.shards,
    planned: first.planned,
    perRunSec: first.perRunSec,
    jobs,
    mergedFrom: dirs,
  };
  writeBatteryRecord(outdir, record);
  const logFile = path.join(outdir, 'log');
  writeFileSync(logFile, `${commandLine}\n`);
  const log = (l: string): void => {
    appendFileSync(logFile, l + '\n');
    io.out(l);
  };
  log(` --- Results directory: ${outdir}`);
  for (const { dir, r } of records) log(` --- Shard ${r.shard?.index ?? 1}/${first.shards.length}: ${dir} (${r.jobs.length} jobs)`);
  return writeBatteryOutputs(outdir, record, log);
}
