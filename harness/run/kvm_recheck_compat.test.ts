import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTorture, runTortureUntil, scenarioConsole, type TortureRun } from '../test_support/run_until.js';

// The kernel's own kvm-recheck.sh, unmodified (Debian's linux-source-6.12, fetched by .ci/run into
// a cache; TORTURE_KVM_SCRIPTS names its tools/testing/selftests/rcutorture directory), reads
// results of real runs: it must find every scenario, report no build error, and print the same
// headlines and verdicts as `torture recheck`. TORTURE_TRUST_MAKE=y: nothing is compiled per
// scenario, so Make.out has no `CC` line (README, "kvm.sh's scripts").
const repo = path.resolve(import.meta.dirname, '..', '..');
const scripts = process.env['TORTURE_KVM_SCRIPTS'];
const inCi = process.env['CI'] === 'true' || process.env['CI'] === '1';
const ANSI = /\x1b\[[0-9;]*m/g;

function scenarioNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => statSync(path.join(dir, f)).isDirectory())
    .sort();
}

function kvmRecheck(dir: string): { code: number | null; lines: string[] } {
  const bin = path.join(scripts ?? '', 'bin');
  const r = spawnSync('bash', [path.join(bin, 'kvm-recheck.sh'), dir], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, TORTURE_TRUST_MAKE: 'y' },
    timeout: 60_000,
  });
  return { code: r.status, lines: `${r.stdout}${r.stderr}`.replace(ANSI, '').split('\n') };
}

function ourRecheck(dir: string): { code: number | null; lines: string[] } {
  const r = spawnSync(process.execPath, [path.join(repo, 'bin', 'torture.js'), 'recheck', dir], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, lines: `${r.stdout}${r.stderr}`.split('\n') };
}

/** Both rechecks of one results directory, compared as the issue asks. */
function compare(run: TortureRun, wantFailing: readonly string[]): void {
  const names = scenarioNames(run.dir);
  const kvm = kvmRecheck(run.dir);
  const text = kvm.lines.join('\n');
  // kvm-recheck's per-scenario verdict: parse-console.sh leaves console.log.diags when flagged.
  const kvmFailing = names.filter((n) => existsSync(path.join(run.dir, n, 'console.log.diags')));
  const ours = ourRecheck(run.dir);
  const ourFailing = names.filter((n) => (JSON.parse(readFileSync(path.join(run.dir, n, 'summary.json'), 'utf8')) as { verdict: string }).verdict === 'failure');
  expect(kvm.lines[0], text).toBe(readFileSync(path.join(run.dir, 'log'), 'utf8').split('\n')[0]);
  for (const n of names) {
    const head = (lines: string[]): string[] => lines.filter((l) => l.startsWith(`${n} -------`));
    expect(head(kvm.lines), `${n} judged by kvm-recheck:\n${text}`).toHaveLength(1);
    expect(head(kvm.lines), text).toEqual(head(ours.lines));
  }
  expect(text).not.toMatch(/build errors|no build|Build failed|qemu failed|QEMU error|No .*vmlinux|improperly set/);
  expect(kvmFailing, text).toEqual([...wantFailing].sort());
  expect(ourFailing, ours.lines.join('\n')).toEqual([...wantFailing].sort());
  const tally = (lines: string[]): string[] => lines.filter((l) => /^\d+ runs with /.test(l));
  expect(tally(kvm.lines)).toEqual(tally(ours.lines));
  expect(ours.code).toBe(wantFailing.length === 0 ? 0 : 1);
  if (wantFailing.length === 0) expect(kvm.code, text).toBe(0);
  else expect(kvm.code, text).not.toBe(0);
}

describe("the kernel's kvm-recheck.sh on torture's results", () => {
  if (scripts === undefined || !existsSync(path.join(scripts, 'bin', 'kvm-recheck.sh'))) {
    const why = `TORTURE_KVM_SCRIPTS ${scripts === undefined ? 'is unset' : `(${scripts}) has no bin/kvm-recheck.sh`}: .ci/run fetches the kernel's rcutorture scripts (.ci/fetch_rcutorture_scripts)`;
    if (inCi) it('has the kernel scripts in CI', () => expect.fail(why));
    else it.skip(`skipped: ${why}`, () => {});
    return;
  }

  it('TREE05 clean, TREE05 with the seed order, rcu BUSTED, lock BUSTED + LOCK01: same headlines and verdicts', async () => {
    // Two at a time: BUSTED must get enough writer updates to be caught on a loaded 2-core host.
    // 10 s; the expected failures longer until they are caught.
    const until = { fromSec: 10, capSec: 40 };
    const [clean, seed] = await Promise.all([
      runTorture(['--duration', '10s', '--configs', 'TREE05']),
      runTortureUntil(['--configs', 'TREE05', '--bootargs', 'slub.debug_key_under_slab_mutex=1'], (r) => scenarioConsole(r, 'TREE05').includes('WARNING: possible circular locking dependency detected'), until),
    ]);
    const [busted, lock] = await Promise.all([
      runTortureUntil(['--configs', 'BUSTED'], (r) => r.code === 1, until),
      runTortureUntil(['--torture', 'lock', '--cpus', '8', '--configs', 'BUSTED LOCK01'], (r) => r.code === 1, until),
    ]);
    expect(clean.code, clean.out).toBe(0);
    compare(clean, []);
    expect(seed.code, seed.out).toBe(1);
    expect(readFileSync(path.join(seed.dir, 'TREE05', 'console.log'), 'utf8')).toContain('WARNING: possible circular locking dependency detected');
    compare(seed, ['TREE05']);
    expect(busted.code, busted.out).toBe(1);
    compare(busted, ['BUSTED']);
    expect(lock.code, lock.out).toBe(1);
    compare(lock, ['BUSTED']);
  }, 480_000);

  it('SRCU-N and SRCU-T clean: same headlines and verdicts (Tree and Tiny SRCU, #CHECK#CONFIG_TINY_SRCU=y)', async () => {
    const run = await runTorture(['--duration', '10s', '--configs', 'SRCU-N SRCU-T']);
    expect(run.code, run.out).toBe(0);
    compare(run, []);
  }, 240_000);
  it('TASKS01 clean and with rcupdate.test_broken_tasks=1: same headlines and verdicts', async () => {
    // 15 s clean; the planted bug with one never-stuttering reader until it is caught.
    const bug = 'rcupdate.test_broken_tasks=1 rcutorture.nreaders=1 rcutorture.stutter=0';
    const [clean, broken] = await Promise.all([
      runTorture(['--duration', '15s', '--configs', 'TASKS01']),
      runTortureUntil(['--configs', 'TASKS01', '--bootargs', bug], (r) => r.code === 1, { fromSec: 15, capSec: 40 }),
    ]);
    expect(clean.code, clean.out).toBe(0);
    compare(clean, []);
    expect(broken.code, broken.out).toBe(1);
    expect(readFileSync(path.join(broken.dir, 'TASKS01', 'console.log'), 'utf8')).toContain('tasks-torture: !!! Reader Pipe:');
    compare(broken, ['TASKS01']);
  }, 300_000);
});
