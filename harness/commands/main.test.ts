// The command line as a user runs it (bin/torture.js): bad input, every command's help, --version, plans.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestTempDir } from '../test_support/temp_dir.js';
import { coverageBlockLines } from '../formats/coverage_block.js';
import { COVERAGE_SLOTS, type CoverageFacts } from '../formats/coverage_points.js';

// These tests run the built launcher exactly as a user does (`npm test` builds first).
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'torture.js');
let configs: string;

function torture(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...process.env, TORTURE_CONFIGS: configs },
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'harness', 'commands', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  configs = makeTestTempDir('cli');
  mkdirSync(path.join(configs, 'rcu'));
  mkdirSync(path.join(configs, 'lock'));
  writeFileSync(path.join(configs, 'rcu', 'CFLIST'), 'TREE05\nTREE07\n');
  writeFileSync(path.join(configs, 'rcu', 'TREE05'), 'CONFIG_SMP=y\nCONFIG_NR_CPUS=8\nCONFIG_HOTPLUG_CPU=y\n');
  writeFileSync(path.join(configs, 'rcu', 'TREE07'), 'CONFIG_SMP=y\nCONFIG_NR_CPUS=16\n');
  writeFileSync(path.join(configs, 'rcu', 'BAD'), 'CONFIG_SMP=y\nCONFIG_NR_CPUS=8\nCONFIG_WHATEVER=y\n');
  writeFileSync(path.join(configs, 'lock', 'LOCK01'), 'CONFIG_SMP=y\nCONFIG_NR_CPUS=4\n');
});

describe('torture (bad input)', () => {
  const cases: [string[], RegExp][] = [
    [['--duration', '10x'], /^torture: Cannot use --duration as .* current value is 10x$/],
    [['--duration', '0'], /--duration/],
    [['--duration', ''], /--duration .* current value is \(empty\)$/],
    // A kill timer above 2^31-1 ms would fire at once (Node clamps it to 1 ms) and kill every guest.
    [['--duration', '25d'], /^torture: Cannot use --duration as 'the duration plus --shutdown-grace' must be at most 2147483 s .*: current value is 2160000 s \+ 15 s$/],
    [['--duration', '24d', '--shutdown-grace', '99999999'], /must be at most 2147483 s/],
    [['--cpus', 'two'], /^torture: Cannot use --cpus as 'N' must be an integer >= 1 .*: current value is two$/],
    [['--cpus', '0'], /^torture: Cannot use --cpus as 'N' must be an integer >= 1 \(leave it out to run one scenario per batch\): current value is 0$/],
    [['--results', '/etc/hostname/sub'], /^torture: Cannot use --results as '\/etc\/hostname\/sub' must be a directory path: current value has a file at \/etc\/hostname$/],
    [['--configs', 'TREE05', '--duration', '5s', '--results', '/proc/torture-sub'], /^torture: Cannot create results directory as '\/proc\/torture-sub\/.*' must be creatable: current value fails at \/proc\/torture-sub \(ENOENT\)$/],
    [['--datestamp', 'a//b'], /--datestamp as 'NAME' must be a relative path/],
    [['--seed', '-3'], /--seed|Unknown/],
    [['--seed', '4294967296'], /^torture: Cannot use --seed as 'N' must be an integer from 0 to 4294967295: current value is 4294967296$/],
    [['--bootargs', 'torture.random_seed=3'], /^torture: Cannot use --bootargs as 'torture.random_seed' must be set with --seed N/],
    [['--memory', '512K'], /^torture: Cannot use --memory as 'SIZE' must be N, NM or NG/],
    [['--memory', '8M'], /at least 16M: current value is 8M$/],
    [['--jitter', '-2'], /^torture: Cannot use --jitter as .* current value is -2$/],
    [['--jitter', '2 x'], /--jitter/],
    [['--quiet=yes'], /--quiet as 'it' must be given without a value/],
    [['again'], /^torture: Cannot run again as 'DIR' must name a results directory/],
    [['again', '/nonexistent/dir'], /^torture: Cannot run again as 'DIR' must be a results directory of torture/],
    [['--cpus', '2', '--allcpus'], /must not be combined with --allcpus/],
    [['--torture', 'scf'], /must be one of rcu lock object: current value is scf$/],
    [['--configs', 'tree05'], /NAME matching/],
    [['--configs', 'TREE99'], /'TREE99' must be a file in .* \(one of: BAD TREE05 TREE07\)/],
    [['--configs', 'BAD'], /rcu\/BAD:3 as 'CONFIG_WHATEVER' must be a Kconfig option the model knows/],
    [['--configs', 'TREE05', '--bootargs', 'rcutorture.stat_interval=soon'], /'rcutorture.stat_interval' must be an integer >= 0: current value is soon$/],
    [['--configs', 'TREE05', '--kconfig', 'CONFIG_NR_CPUS=999'], /at most|from 1 to 128/],
    [['--dryrun', 'script'], /--dryrun/],
    [['--ops', 'nonexistent.js', '--torture', 'lock'], /--ops as 'FILE' must be an existing/],
    [['--ops', 'package.json'], /--ops as 'the suite' must be lock/],
    [['--datestamp', '/abs'], /--datestamp/],
    [['--shutdown-grace', '-1'], /--shutdown-grace|Unknown/],
    [['--configs'], /^torture: Cannot use --configs as 'its value' must not be empty/],
    [['--configs', 'TREE05', '--bootargs'], /--bootargs as 'its value' must not be empty/],
    [['--bogus'], /^torture: Unknown argument: bogus$/],
    // yargs reads a boolean's `=value` as false: that must not silently start a run.
    [['--allcpus=foo'], /^torture: Cannot use --allcpus as 'it' must be given without a value: current value is --allcpus=foo$/],
    [['--help=no'], /^torture: Cannot use --help as 'it' must be given without a value/],
    [['frobnicate'], /^torture: Unknown argument: frobnicate$/],
    [['recheck'], /^torture: Cannot recheck as 'DIR...' must name at least one results directory/],
    [['lockdep'], /^torture: Cannot check a lock trace as 'TRACE.jsonl' must be given/],
    [['recheck', '/nonexistent/dir'], /Cannot recheck as 'DIR' must be a results directory/],
    [['lockdep', '/nonexistent.jsonl'], /must be an existing file/],
    [['coverage'], /^torture: Cannot sum coverage as 'DIR...' must name at least one results directory: current value is \(none\)$/],
    [['coverage', '/nonexistent/dir'], /^torture: Cannot sum coverage as 'DIR...' must be results directories: current value is \/nonexistent\/dir \(ENOENT\)$/],
    [['coverage', '--json'], /^torture: Cannot sum coverage as 'DIR...' must be results directories: current value is --json$/],
  ];
  for (const [args, re] of cases) {
    it(`${args.join(' ')} -> exit 2, one line, no stack`, () => {
      const r = torture(args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^torture: /);
      expect(lines[0]).toMatch(re);
      expect(lines[1]).toBe("Try 'torture --help' for usage.");
    });
  }
});

describe('torture (help of every command, --version)', () => {
  // The command table's words, read from the built table so that a new command is covered at once.
  let names: string[] = [];
  beforeAll(async () => {
    const { COMMANDS } = (await import(path.join(ROOT, 'dist', 'harness', 'commands', 'index.js'))) as { COMMANDS: { name: string }[] };
    names = COMMANDS.slice(1).map((c) => c.name);
  });

  it('CMD --help, CMD -h and help CMD print the same command-specific help, exit 0, one per command', () => {
    expect(names).toEqual(['recheck', 'lockdep', 'selftest', 'again', 'bench', 'nightly', 'report', 'merge', 'coverage']);
    const general = torture(['--help']).stdout;
    const seen = new Set<string>([general]);
    for (const name of names) {
      const r = torture([name, '--help']);
      expect(r.status, `${name} --help: ${r.stderr}`).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^Usage: torture ${name}\\b`));
      expect(r.stdout).toContain('  --help                    this text');
      expect(seen.has(r.stdout), `${name} --help is not its own`).toBe(false);
      seen.add(r.stdout);
      expect(torture([name, '-h'])).toEqual(r);
      expect(torture(['help', name])).toEqual(r);
    }
  });

  it('help, -h and --help print the general help; bench explains --time, --threads and --runs', () => {
    const r = torture(['--help']);
    expect(torture(['help'])).toEqual(r);
    expect(torture(['-h'])).toEqual(r);
    expect(torture(['help', 'run'])).toEqual(r);
    for (const name of names) expect(r.stdout).toContain(`       torture ${name}`);
    const bench = torture(['bench', '--help']).stdout;
    for (const o of ['--time MS ', '--threads N ', '--runs N ']) expect(bench).toMatch(new RegExp(`^  ${o} +\\S`, 'm'));
  });

  it('--version prints the package version, exit 0', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = torture(['--version']);
    expect(r).toEqual({ status: 0, stdout: `torture ${pkg.version}\n`, stderr: '' });
  });

  it('help of an unknown command is bad input (one line, exit 2)', () => {
    const r = torture(['help', 'frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^torture: Cannot show help as 'CMD' must be one of run recheck .* merge coverage: current value is frobnicate$/);
  });
});

describe('torture (plans and help)', () => {
  it('--help prints usage and says a bare duration is minutes', () => {
    const r = torture(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: torture \[options\]/);
    expect(r.stdout).toContain('A BARE NUMBER IS MINUTES');
  });

  it('--dryrun sched/scenarios/batches print the plan and create nothing', () => {
    const results = makeTestTempDir('cli-res');
    const base = ['--configs', '2*TREE05', '--configs', 'TREE07', '--cpus', '12', '--results', results];
    expect(torture([...base, '--dryrun', 'sched']).stdout).toBe(
      '----Start batch 1\n TREE07 16-ovf\n----Start batch 2\n TREE05 8\n----Start batch 3\n TREE05.2 8\nTotal number of builds: 3\nTotal number of batches: 3\n',
    );
    expect(torture([...base, '--dryrun', 'scenarios']).stdout).toBe('1.  TREE07\n2.  TREE05\n3.  TREE05.2\n');
    const b = torture([...base, '--dryrun', 'batches']);
    expect(b.status).toBe(0);
    expect(b.stdout).toBe('1 TREE07 16\n2 TREE05 8\n3 TREE05.2 8\n');
    expect(torture(['--configs', 'CFLIST', '--dryrun', 'scenarios']).stdout).toBe('1.  TREE07\n2.  TREE05\n');
    expect(spawnSync('ls', [results], { encoding: 'utf8' }).stdout).toBe('');
  });
});

describe('torture coverage', () => {
  /** A scenario directory whose console ends with a coverage block of `counts` (by point name). */
  function scenario(dir: string, facts: CoverageFacts, counts: Readonly<Record<string, number>>): void {
    mkdirSync(dir, { recursive: true });
    const c = COVERAGE_SLOTS.map((s) => counts[s.name] ?? 0);
    writeFileSync(path.join(dir, 'console.log'), ['[    0.100000] Linux version', ...coverageBlockLines(facts, c).map((l) => `[   30.000000] ${l}`), '[   30.000001] reboot: Power down', ''].join('\n'));
  }
  const LOCK = (tortureType: string): CoverageFacts => ({ suite: 'lock', tortureType, onoff: false, preempt: true, smp: true });

  it('sums two shard halves to the table of the whole battery, cold points first', () => {
    const root = makeTestTempDir('coverage');
    const jobs = {
      'lock-a': [['LOCK01', LOCK('spin_lock'), { 'spin.slowpath': 5, 'spin.pv_wait': 2 }]],
      'lock-b': [
        ['LOCK03', LOCK('rwsem_lock'), { 'rwsem.down_read_slowpath': 7, 'spin.slowpath': 1 }],
        ['LOCK01', LOCK('spin_lock'), { 'spin.slowpath': 3, 'spin.pv_kick': 4 }],
      ],
    } as const;
    for (const [half, names] of [['shard1', ['lock-a']], ['shard2', ['lock-b']], ['whole', ['lock-a', 'lock-b']]] as const) {
      mkdirSync(path.join(root, half));
      writeFileSync(path.join(root, half, 'log'), `torture nightly\n`);
      for (const job of names) for (const [scen, facts, counts] of jobs[job]) scenario(path.join(root, half, job, 'run', scen), facts, counts);
    }
    const halves = torture(['coverage', path.join(root, 'shard2'), path.join(root, 'shard1')]);
    const whole = torture(['coverage', path.join(root, 'whole')]);
    expect(halves.status, halves.stderr).toBe(0);
    const split = (stdout: string): { table: string[]; reach: string[] } => {
      const o = stdout.trimEnd().split('\n');
      return { table: o.slice(0, o.indexOf('')), reach: o.slice(o.indexOf('') + 1) };
    };
    expect(split(halves.stdout).table).toEqual(split(whole.stdout).table);
    const lines = split(whole.stdout).table;
    // Then the reach lines, per scenario directory named as given, sorted by scenario, then path:
    // the halves were given in the other order. LOCK03's pv points are not expected for rwsem_lock.
    const at = (...p: string[]): string => path.join(root, ...p, 'run');
    const re = (x: string): string => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const lock03 = /: short: rwsem\.down_read_slowpath 7\/1000, rwsem\.read_meets_writer 0\/1000, /;
    expect(split(halves.stdout).reach.slice(1)).toEqual([
      `${at('shard1', 'lock-a')}/LOCK01: short: spin.slowpath 5/1000, spin.pv_wait 2/1000, spin.pv_kick 0/1000`,
      `${at('shard2', 'lock-b')}/LOCK01: short: spin.slowpath 3/1000, spin.pv_wait 0/1000, spin.pv_kick 4/1000`,
      expect.stringMatching(new RegExp(`^${re(at('shard2', 'lock-b'))}/LOCK03${lock03.source}`)),
    ]);
    expect(split(whole.stdout).reach.slice(1)).toEqual([
      `${at('whole', 'lock-a')}/LOCK01: short: spin.slowpath 5/1000, spin.pv_wait 2/1000, spin.pv_kick 0/1000`,
      `${at('whole', 'lock-b')}/LOCK01: short: spin.slowpath 3/1000, spin.pv_wait 0/1000, spin.pv_kick 4/1000`,
      expect.stringMatching(new RegExp(`^${re(at('whole', 'lock-b'))}/LOCK03${lock03.source}`)),
    ]);
    // A relative DIR stays relative; its trailing slash is not carried into the names.
    const rel = torture(['coverage', `${path.relative(ROOT, path.join(root, 'whole'))}/`]);
    expect(split(rel.stdout).reach[1]).toBe(`${path.relative(ROOT, at('whole', 'lock-a'))}/LOCK01: short: spin.slowpath 5/1000, spin.pv_wait 2/1000, spin.pv_kick 0/1000`);
    expect(lines[0]).toMatch(/^Coverage of 3 scenarios: \d+ points expected, \d+ never reached, 2 cold in some scenario$/);
    const row = (name: string): string[] => (lines.find((l) => l.startsWith(`${name} `)) ?? '').trim().split(/\s+/);
    expect(row('spin.slowpath')).toEqual(['spin.slowpath', '9', '2', '0', 'hot', 'lock']);
    // pv_kick: expected in both LOCK01 runs, 0 in the first one.
    expect(row('spin.pv_kick')).toEqual(['spin.pv_kick', '4', '2', '1', 'cold', 'lock']);
    expect(row('rwsem.read_meets_writer')).toEqual(['rwsem.read_meets_writer', '0', '1', '1', 'never', 'lock']);
    expect(row('rcu.fqs_round')).toEqual(['rcu.fqs_round', '0', '0', '0', '-', 'rcu']);
    const marks = lines.slice(2).map((l) => l.trim().split(/\s+/)[4] ?? '');
    expect(marks.indexOf('never')).toBe(0);
    expect(marks.lastIndexOf('never')).toBeLessThan(marks.indexOf('cold'));
    expect(marks.indexOf('cold')).toBeLessThan(marks.indexOf('hot'));
    expect(marks.lastIndexOf('hot')).toBeLessThan(marks.indexOf('-'));
  });
});
