import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BATTERY_GROUPS, CHECK_CAP_SEC, MIN_CHECK_RUN_SEC, MIN_RUN_SEC, assignShards, planBattery, type Job } from './battery_plan.js';
import { statIntervalFor } from '../suites/stat_interval.js';
import { parseNightlyArgs } from '../commands/nightly.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function plan(argv: string[]) {
  return planBattery(parseNightlyArgs(argv).battery);
}

describe('nightly battery plan', () => {
  it('plans torture.sh-style: both CFLISTs, selftest, both BUSTED, the seed, the examples, the bench', () => {
    const p = plan([]);
    const names = p.jobs.map((j) => j.name);
    expect(names).toContain('rcutorture-TREE05');
    expect(names).toContain('locktorture-LOCK01');
    expect(names).toEqual(expect.arrayContaining(['selftest', 'rcu-busted', 'lock-busted', 'seed', 'lockdep-examples', 'bench']));
    const seed = p.jobs.find((j) => j.name === 'seed');
    expect(seed?.steps.map((s) => s.name)).toEqual(['buggy', 'fixed']);
    expect(seed?.steps[0]?.argv.join(' ')).toContain('slub.debug_key_under_slab_mutex=1');
    expect(seed?.steps[0]?.expect).toEqual({ kind: 'circular', classes: ['cpu_hotplug_lock', 'slab_mutex'], exit: 1 });
    expect(seed?.steps[1]?.expect).toEqual({ kind: 'success' });
    expect(p.jobs.find((j) => j.name === 'rcu-busted')?.steps[0]?.expect).toEqual({ kind: 'torture-failure' });
    // The expected failures run until their event: the cap as --duration, stats as often as in a
    // run of their planned time; the runs expected to pass run their time.
    for (const name of ['rcu-busted', 'lock-busted', 'seed']) {
      const step = p.jobs.find((j) => j.name === name)?.steps[0];
      expect(step?.stopAtEvent, name).toBe(true);
      expect(step?.argv.join(' '), name).toMatch(new RegExp(`--duration ${CHECK_CAP_SEC}s --bootargs .*torture\\.stat_interval=${statIntervalFor(p.perRunSec['checks'] ?? NaN)}`));
    }
    // objecttorture's BUSTED fails only when the test ends (its check of the whole history):
    // waiting for the event would wait for the cap, so it runs its planned time.
    const object = p.jobs.find((j) => j.name === 'object-busted')?.steps[0];
    expect(object?.expect).toEqual({ kind: 'torture-failure' });
    expect(object?.stopAtEvent).toBeUndefined();
    expect(object?.argv.join(' ')).toContain(`--duration ${p.perRunSec['checks']}s`);
    expect(seed?.steps[1]?.stopAtEvent).toBeUndefined();
    expect(seed?.steps[1]?.argv.join(' ')).toContain(`--duration ${p.perRunSec.seed}s`);
    // Every lock scenario runs with the CPU hotplug of its own .boot (onoff_interval=50): the
    // battery adds no onoff_interval that would override it.
    for (const j of p.jobs.filter((x) => x.group === 'locktorture')) expect(j.steps[0]?.argv.join(' ')).not.toMatch(/locktorture\.onoff_/);
  });

  it("splits the duration 7:1:1:2 over rcutorture, locktorture, objecttorture and the checks, with floors", () => {
    const p = plan(['--duration', '1h']);
    const long = (g: string): number => p.perRunSec[g] ?? NaN;
    const count = (g: string): number => p.jobs.filter((j) => j.group === g).length;
    // Group totals (runs x seconds) follow 7:1:1:2 (torture.sh's 7:1:2, and objecttorture as
    // locktorture); the checks are the three BUSTED and the seed's two runs.
    const rcu = count('rcutorture') * long('rcutorture');
    const lock = count('locktorture') * long('locktorture');
    const object = count('objecttorture') * long('objecttorture');
    const checks = 5 * long('checks');
    expect(rcu / object).toBeCloseTo(7, 0);
    expect(rcu / lock).toBeCloseTo(7, 0);
    expect(rcu / checks).toBeCloseTo(3.5, 0);
    const short = plan(['--duration', '1s']).perRunSec;
    expect(short).toEqual({ rcutorture: MIN_RUN_SEC, locktorture: MIN_RUN_SEC, objecttorture: MIN_RUN_SEC, checks: MIN_CHECK_RUN_SEC, seed: MIN_CHECK_RUN_SEC });
    // A bare number is minutes, as in kvm.sh and torture.sh.
    expect(parseNightlyArgs(['--duration', '3']).battery.durationSec).toBe(180);
  });

  it('applies the switches in order, as torture.sh does', () => {
    expect(plan(['--do-none', '--do-seed']).jobs.map((j) => j.name)).toEqual(['seed']);
    expect(plan(['--do-seed', '--do-none']).jobs).toEqual([]);
    const noLock = plan(['--do-no-locktorture', '--no-bench']).jobs;
    expect(noLock.some((j) => j.group === 'locktorture' || j.group === 'bench')).toBe(false);
    expect(plan(['--do-none', '--do-all']).jobs.length).toBe(plan([]).jobs.length);
    expect(plan(['--do-none', '--do-rcutorture', '--configs-rcutorture', '2*TREE05 TREE07']).jobs.map((j) => j.name)).toEqual(['rcutorture-TREE05', 'rcutorture-TREE05.2', 'rcutorture-TREE07']);
    for (const g of BATTERY_GROUPS) expect(plan(['--do-none', `--do-${g}`]).jobs.every((j) => j.group === g)).toBe(true);
  });

  it('shards deterministically: every job in exactly one shard, balanced by expected CPU-seconds', () => {
    const all = plan([]).jobs;
    for (const n of [1, 2, 3, 5]) {
      const shards = assignShards(all, n);
      expect(assignShards(all, n)).toEqual(shards);
      const flat = shards.flat();
      expect(flat.slice().sort()).toEqual(all.map((j) => j.name).sort());
      const load = shards.map((s) => s.reduce((t, name) => t + (all.find((j) => j.name === name)?.cpuSeconds ?? 0), 0));
      const biggest = Math.max(...all.map((j) => j.cpuSeconds));
      // LPT: no shard exceeds another by more than the largest job.
      expect(Math.max(...load) - Math.min(...load)).toBeLessThanOrEqual(biggest);
    }
    const a = plan(['--shard', '1/2']).jobs.map((j) => j.name);
    const b = plan(['--shard', '2/2']).jobs.map((j) => j.name);
    expect([...a, ...b].sort()).toEqual(all.map((j) => j.name).sort());
    expect(a.filter((x) => b.includes(x))).toEqual([]);
  });

  it('balances a tiny hand-made battery', () => {
    const j = (name: string, cpuSeconds: number): Job => ({ name, group: 'rcutorture', what: '', steps: [], cpuSeconds });
    expect(assignShards([j('a', 10), j('b', 7), j('c', 5), j('d', 3)], 2)).toEqual([['a', 'd'], ['b', 'c']]);
  });
});

describe('torture nightly (bad input: one line, exit 2, nothing started)', () => {
  const cases: [string[], RegExp][] = [
    [['--shard', '3/2'], /^torture: Cannot use --shard as 'I\/N' must be two integers with 1 <= I <= N <= 64: current value is 3\/2$/],
    [['--shard', 'x'], /--shard .* current value is x$/],
    [['--duration', '10x'], /^torture: Cannot use --duration as/],
    [['--do-frobnicate'], /^torture: Cannot run nightly as '--do-frobnicate' must be one of/],
    [['--configs-rcutorture', 'NOPE'], /NOPE/],
    [['--bench-baseline', '/nonexistent/bench.json'], /^torture: Cannot use --bench-baseline as 'OLD.json' must be an existing bench.json/],
    [['--do-none'], /^torture: Cannot run nightly as 'the battery' must have at least one job/],
    [['--datestamp', '../x'], /^torture: Cannot use --datestamp/],
    [['--dryrun=yes'], /^torture: Cannot use --dryrun as 'it' must be given without a value/],
  ];
  for (const [args, re] of cases) {
    it(args.join(' '), () => {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'torture.js'), 'nightly', ...args], { encoding: 'utf8', cwd: ROOT, timeout: 30_000 });
      expect(r.status).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(re);
      expect(r.stdout).toBe('');
    });
  }
  it('report and merge refuse what is not a results directory', () => {
    for (const args of [['report', '/nonexistent'], ['merge', '/nonexistent'], ['merge'], ['merge', ROOT]]) {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'torture.js'), ...args], { encoding: 'utf8', cwd: ROOT, timeout: 30_000 });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(/^torture: Cannot (write a report|merge) as/);
    }
  });
});
