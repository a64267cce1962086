import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlan, type RunOptions } from './plan.js';
import { cpuBundleNote, runBatches } from './run_batches.js';
import { makeTestTempDir, writeFileDated } from '../test_support/temp_dir.js';

// Fake guests stand in for dist/harness/guest/guest_main.js: the driver's contract with a guest
// is only "argv[2] is the spec; write console.log etc. into spec.resdir; exit code".
const GOOD_GUEST = `
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const con = [
  '[    1.000000] spin_lock-torture: Writes:  Total: 1000  Max/Min: 200/100   Fail: 0',
  '[    1.000000] spin_lock-torture:--- End of test: SUCCESS: nwriters_stress=8',
];
writeFileSync(path.join(spec.resdir, 'console.log'), con.join('\\n') + '\\n');
writeFileSync(path.join(spec.resdir, 'guest-result.json'), JSON.stringify({ scenario: spec.scenario, end: 'poweroff', seconds: spec.durationSec, problems: [] }));
`;
const HUNG_GUEST = `
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
writeFileSync(path.join(spec.resdir, 'console.log'), '[    0.100000] spin_lock-torture:--- Start of test: x\\n');
setInterval(() => {}, 1000);
`;

function setup(durationSec: number, configs: string[]): { opts: RunOptions; root: string } {
  const root = makeTestTempDir('run');
  mkdirSync(path.join(root, 'configs', 'lock'), { recursive: true });
  writeFileSync(path.join(root, 'configs', 'lock', 'LOCK01'), 'CONFIG_SMP=y\nCONFIG_NR_CPUS=2\n');
  writeFileSync(path.join(root, 'configs', 'lock', 'LOCK02'), 'CONFIG_SMP=y\nCONFIG_NR_CPUS=2\n');
  writeFileSync(path.join(root, 'good.mjs'), GOOD_GUEST);
  writeFileSync(path.join(root, 'hung.mjs'), HUNG_GUEST);
  return {
    root,
    opts: {
      suite: 'lock',
      durationSec,
      shutdownGraceSec: 0,
      ncpus: 4,
      configs,
      bootargs: [],
      kconfig: [],
      resultsRoot: path.join(root, 'results'),
      datestamp: 'ds',
      commandLine: `torture --torture lock --configs "${configs.join(' ')}"`,
      configsRoot: path.join(root, 'configs'),
      seed: 1,
    },
  };
}

// What kvm.sh's scripts read (kvm_files.ts); kvm_recheck_compat.test.ts runs the scripts themselves.
const KVM_FILES = ['qemu-cmd', 'qemu-output', 'qemu-retval', 'Make.defconfig.out', 'Make.out', 'vmlinux'];

describe('runBatches()', () => {
  it('writes the results layout and kvm.sh-style log, and exits 0 when all succeed', async () => {
    const { opts, root } = setup(1, ['LOCK01 2*LOCK02']);
    const out: string[] = [];
    // The good guest exits by itself: a grace that a loaded host's node start-up cannot outlast.
    const rc = await runBatches(buildPlan({ ...opts, shutdownGraceSec: 60 }), path.join(root, 'good.mjs'), { out: (l) => out.push(l) });
    expect(rc, out.join('\n')).toBe(0);
    const res = path.join(root, 'results', 'ds');
    // junit.xml and index.html are the report's writers, which the end of a run passes to its recheck (recheck.test.ts parses them).
    for (const f of ['log', 'testid.txt', 'torture_suite', 'batches', 'scenarios', 'summary.json', 'junit.xml', 'index.html']) expect(existsSync(path.join(res, f))).toBe(true);
    for (const s of ['LOCK01', 'LOCK02', 'LOCK02.2']) {
      for (const f of ['guest-spec.json', 'scenario.json', 'console.log', 'guest-retval', 'summary.json', 'ConfigFragment', '.config', ...KVM_FILES]) {
        expect(existsSync(path.join(res, s, f))).toBe(true);
      }
    }
    const log = readFileSync(path.join(res, 'log'), 'utf8').split('\n');
    expect(log[0]).toBe(opts.commandLine);
    expect(log).toContain('Random seed: 1 (--seed 1 repeats every random stream; repeat k of a scenario uses seed + k - 1)');
    expect(JSON.parse(readFileSync(path.join(res, 'summary.json'), 'utf8'))).toMatchObject({ seed: 1 });
    // qemu-cmd: ONE command line (what ran: node, the guest, its spec) with -smp and -append "BOOT".
    const cmd = readFileSync(path.join(res, 'LOCK02.2', 'qemu-cmd'), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(cmd).toHaveLength(1);
    expect(cmd[0]).toContain(`${process.execPath} --enable-source-maps ${path.join(root, 'good.mjs')} ${path.join(res, 'LOCK02.2', 'guest-spec.json')} -smp 2 -append "`);
    expect(cmd[0]).toMatch(/-append "[^"]* locktorture\.shutdown_secs=1 [^"]*torture\.random_seed=2"$/);
    expect(readFileSync(path.join(res, 'LOCK01', 'Make.out'), 'utf8')).toMatch(/^torture: no kernel build for LOCK01\./);
    for (const f of ['Make.out', 'Make.defconfig.out', 'vmlinux']) expect(readFileSync(path.join(res, 'LOCK01', f), 'utf8')).not.toMatch(/error:|warning:/);
    expect(readFileSync(path.join(res, 'LOCK01', 'qemu-retval'), 'utf8')).toBe('0\n');
    expect(log.filter((l) => /^----Start batch \d: /.test(l))).toHaveLength(2);
    expect(log).toContain(log.find((l) => l.startsWith('---- LOCK02.2 2: Kernel present. ')));
    expect(log.some((l) => l.startsWith('---- Starting kernels. '))).toBe(true);
    expect(log.some((l) => l.startsWith('---- All kernel runs complete. '))).toBe(true);
    expect(readFileSync(path.join(res, 'scenarios'), 'utf8')).toBe('# cpus=4\n1.  LOCK01 LOCK02\n2.  LOCK02.2\n');
    expect(out).toContain('LOCK02.2 ------- 1000 acquisitions/releases (1000 per second)');
    expect(out.at(-1)).toMatch(/^ --- Done at .* exitcode 0$/);
    const spec = JSON.parse(readFileSync(path.join(res, 'LOCK02.2', 'guest-spec.json'), 'utf8')) as { scenario: string; resdir: string };
    expect(spec).toMatchObject({ scenario: 'LOCK02.2', resdir: path.join(res, 'LOCK02.2') });
  });

  it('kills a guest that outlives duration + grace, records 137, and exits 1', async () => {
    const { opts, root } = setup(1, ['LOCK01']);
    const out: string[] = [];
    const rc = await runBatches(buildPlan(opts), path.join(root, 'hung.mjs'), { out: (l) => out.push(l) });
    expect(rc).toBe(1);
    const res = path.join(root, 'results', 'ds');
    expect(readFileSync(path.join(res, 'LOCK01', 'guest-retval'), 'utf8')).toBe('137\n');
    expect(readFileSync(path.join(res, 'LOCK01', 'qemu-retval'), 'utf8')).toBe('137\n');
    expect(out.some((l) => /^---- LOCK01 2: Killing guest at pid \d+: still running after .*killed/.test(l))).toBe(true);
    expect(out).toContain('Guest killed');
    expect(readFileSync(path.join(res, 'log'), 'utf8')).toContain('Guest killed');
  });

  it('ends early on a STOP file, still rechecking what exists', async () => {
    const { opts, root } = setup(60, ['LOCK01 LOCK02']);
    const plan = buildPlan({ ...opts, ncpus: 0 });
    const stop = path.join(plan.resdir, 'STOP');
    const timer = setInterval(() => {
      if (existsSync(path.join(plan.resdir, 'LOCK01', 'console.log'))) writeFileSync(stop, '');
    }, 50);
    const out: string[] = [];
    const t0 = Date.now();
    const rc = await runBatches(plan, path.join(root, 'hung.mjs'), { out: (l) => out.push(l) });
    clearInterval(timer);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(rc).toBe(1);
    expect(out.some((l) => l.startsWith('---- STOP file found: ending the run early.'))).toBe(true);
    expect(out).toContain('---- LOCK02 2: Not run (STOP file found).');
    expect(out.some((l) => /^---- LOCK01 2: Killing guest at pid \d+: run stopped \(STOP file\)\./.test(l))).toBe(true);
    expect(readFileSync(path.join(plan.resdir, 'LOCK01', 'guest-stopped'), 'utf8')).toBe('STOP file\n');
    // The killed LOCK01 was cut short, not failed: INCONCLUSIVE (no `guest killed`, no `no success
    // message`). LOCK02 never ran: planned in `batches` without a directory, it is a failure (`missing`).
    expect(out).toContain('INCONCLUSIVE: LOCK01: stopped by STOP file');
    expect(out).toContain('Guest stopped by STOP file');
    const summary = JSON.parse(readFileSync(path.join(plan.resdir, 'summary.json'), 'utf8')) as {
      runs: number;
      failures: number;
      inconclusive: number;
      scenarios: { scenario: string; verdict: string; reasons: string[] }[];
    };
    expect(summary).toMatchObject({ runs: 2, failures: 1, inconclusive: 1 });
    expect(summary.scenarios.find((x) => x.scenario === 'LOCK01')).toMatchObject({ verdict: 'inconclusive', reasons: ['stopped by STOP file'] });
    expect(summary.scenarios.find((x) => x.scenario === 'LOCK02')?.reasons).toEqual(['missing']);
  });
});

describe('cpuBundleNote(): the log says when the guests will not boot from the CPU bundle', () => {
  it('says nothing for a fresh bundle or a stand-in guest; names a stale or a missing one', async () => {
    const { opts, root } = setup(1, ['LOCK01']);
    // A dist/ tree as the build leaves it: the guest, the CPU runtime, the bundle and its manifest.
    const dist = path.join(root, 'dist');
    const file = (rel: string, text: string, sec: number): string => writeFileDated(dist, rel, text, sec);
    const guest = file('harness/guest/guest_main.js', GOOD_GUEST, 1_000_000);
    const input = file('harness/cpu/cpu_main.js', 'export {};\n', 1_000_000);
    file('harness/cpu/vmlinux.js', '(function () {})', 1_000_010);
    file('harness/cpu/vmlinux.modules.json', JSON.stringify({ bootModules: [], inputs: ['harness/cpu/cpu_main.js'] }), 1_000_010);
    expect(cpuBundleNote(guest)).toBeNull();
    expect(cpuBundleNote(path.join(root, 'good.mjs'))).toBeNull();
    // `npx tsc` after `npm run build`: an input newer than the bundle.
    utimesSync(input, 1_000_020, 1_000_020);
    const stale = cpuBundleNote(guest);
    expect(stale).toMatch(/^CPU bundle .*dist\/harness\/cpu\/vmlinux\.js is older than files it was linked from: CPUs load ES modules and boot slower \(`npm run build` relinks it\)\.$/);
    // The line is in the run's log, after the seed.
    const rc = await runBatches(buildPlan(opts), guest, { out: () => undefined });
    expect(rc).toBe(0);
    const log = readFileSync(path.join(buildPlan(opts).resdir, 'log'), 'utf8').split('\n');
    const seedAt = log.findIndex((l) => l.startsWith('Random seed: '));
    expect(seedAt).toBeGreaterThanOrEqual(0);
    expect(log[seedAt + 1]).toBe(stale);
    rmSync(path.join(dist, 'harness/cpu/vmlinux.js'));
    expect(cpuBundleNote(guest)).toMatch(/^CPU bundle .*vmlinux\.js or its manifest is missing: /);
    // A manifest that is not the build's (JSON null) is as good as none, and throws nothing.
    writeFileSync(path.join(dist, 'harness/cpu/vmlinux.js'), '(function () {})');
    writeFileSync(path.join(dist, 'harness/cpu/vmlinux.modules.json'), 'null');
    expect(cpuBundleNote(guest)).toMatch(/ or its manifest is missing: /);
  });

  it("says nothing for this tree's own built guest (npm run build ran before the tests)", async () => {
    const { builtEntry } = await import('../lib/dist_entry.js');
    expect(cpuBundleNote(builtEntry('guestMain', 'start guests'))).toBeNull();
  });
});
