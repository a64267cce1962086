// The driver's check of user lock-ops modules (ops_check.ts): each way a module can fail to load is
// one line, in a child process; through the command line, every way of selecting the user lock is
// checked before anything starts (exit 2, no results directory).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkUserOps, validateOpsModule } from './ops_check.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';
import { rejectionOf } from '../test_support/error_of.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const GOOD = "export default { name: 'good', sharedBytes: 4, init() {}, writeLock() {}, writeUnlock() {} };\n";
const MODULES = {
  good: GOOD,
  exits: `process.exit(0);\n${GOOD}`,
  loops: `for (;;);\n${GOOD}`,
  never: `await new Promise(() => {});\n${GOOD}`,
  throws: `throw new Error('boom at load');\n${GOOD}`,
  nothing: 'export const x = 1;\n',
  // Prints on stdout and keeps a timer: neither may disturb the check.
  chatty: `console.log('{"kind":"bad","message":"spoofed"}');\nsetInterval(() => {}, 1000);\n${GOOD}`,
} as const;
type Fixture = keyof typeof MODULES;

let dir: string;
const file = (m: Fixture): string => path.join(dir, `${m}.mjs`);

beforeAll(() => {
  dir = makeTestTempDir('ops-check');
  for (const [name, text] of Object.entries(MODULES)) writeFileSync(path.join(dir, `${name}.mjs`), text);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<string> {
  return (await rejectionOf(p, 'OPS_MODULE')).message;
}

describe('validateOpsModule() (in a child process)', () => {
  it('accepts a usable module whatever it prints or leaves running, and names it', async () => {
    expect(await validateOpsModule(file('good'))).toEqual({ name: 'good', sharedBytes: 4 });
    expect(await validateOpsModule(file('chatty'))).toEqual({ name: 'good', sharedBytes: 4 });
  });

  it('a module that exits, never settles, throws or exports nothing usable: one line each', async () => {
    const cases: [Fixture, RegExp][] = [
      ['exits', /^Cannot load lock ops module as '.*exits\.mjs' must load without ending the process: current value is exit status 0 while loading$/],
      ['never', /^Cannot load lock ops module as '.*never\.mjs' must settle its top-level await: current value is a top-level await that never settles$/],
      ['throws', /^Cannot load lock ops module as '.*throws\.mjs' must be an importable ES module: current value is boom at load$/],
      ['nothing', /^Cannot use lock ops module '.*nothing\.mjs' as 'export default \(or export ops\)' must be a lock-ops object: current value is undefined$/],
    ];
    const msgs = await Promise.all(cases.map(([m]) => failure(validateOpsModule(file(m)))));
    cases.forEach(([, re], i) => expect(msgs[i]).toMatch(re));
  });

  it('a module that loops at its top level is killed at the time limit', async () => {
    // The limit is the event awaited here; 2 s rather than the driver's 10 keeps the spin short.
    const msg = await failure(validateOpsModule(file('loops'), 2));
    expect(msg).toMatch(/^Cannot load lock ops module as '.*loops\.mjs' must finish loading within 2 s: current value is still loading after 2 s \(a loop or a wait at its top level\?\)$/);
  });
});

describe('checkUserOps() (the scenarios that select the user lock)', () => {
  it('torture_type=user needs an absolute ops_module; ops_module needs torture_type=user', async () => {
    const scenario = (bootParams: Record<string, string>): { name: string; bootParams: Record<string, string> } => ({ name: 'LOCK01', bootParams });
    expect(await failure(checkUserOps([scenario({ 'locktorture.torture_type': 'user' })]))).toBe(
      "Cannot run scenario LOCK01 as 'locktorture.ops_module' must name the lock-ops module of locktorture.torture_type=user (or use --ops FILE): current value is unset",
    );
    expect(await failure(checkUserOps([scenario({ 'locktorture.torture_type': 'user', 'locktorture.ops_module': 'good.mjs' })]))).toBe(
      "Cannot run scenario LOCK01 as 'locktorture.ops_module' must be an absolute path (--ops FILE makes it one): current value is good.mjs",
    );
    expect(await failure(checkUserOps([scenario({ 'locktorture.ops_module': file('good') })]))).toMatch(
      /^Cannot use locktorture.ops_module in scenario LOCK01 as 'locktorture.torture_type' must be user \(or use --ops FILE\): current value is spin_lock$/,
    );
    await checkUserOps([scenario({ 'locktorture.torture_type': 'user', 'locktorture.ops_module': file('good') }), scenario({ 'locktorture.torture_type': 'mutex_lock' })]);
  });
});

describe('torture --torture lock: every way of selecting the user lock is checked before anything starts', () => {
  let configs: string;
  beforeAll(() => {
    configs = path.join(dir, 'configs');
    mkdirSync(path.join(configs, 'lock'), { recursive: true });
    writeFileSync(path.join(configs, 'lock', 'LOCK01'), 'CONFIG_SMP=y\nCONFIG_NR_CPUS=4\n');
    writeFileSync(path.join(configs, 'lock', 'LOCKU'), 'CONFIG_SMP=y\nCONFIG_NR_CPUS=4\n');
    writeFileSync(path.join(configs, 'lock', 'LOCKU.boot'), `locktorture.torture_type=user locktorture.ops_module=${file('exits')}\n`);
    writeFileSync(path.join(configs, 'lock', 'LOCK2'), 'CONFIG_SMP=y\nCONFIG_NR_CPUS=2\n');
  });

  function torture(args: string[], results = makeTestTempDir('ops-check-results')): { status: number | null; stdout: string; stderr: string; resdir: string } {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'torture.js'), ...args, '--results', results, '--datestamp', 'run'], {
      encoding: 'utf8',
      env: { ...process.env, TORTURE_CONFIGS: configs },
      timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, resdir: path.join(results, 'run') };
  }

  const cases: [string, string[], RegExp][] = [
    ['--ops', ['--configs', 'LOCK01', '--ops', '@exits'], /must load without ending the process: current value is exit status 0 while loading$/],
    ['--bootargs torture_type=user alone', ['--configs', 'LOCK01', '--bootargs', 'locktorture.torture_type=user'], /'locktorture.ops_module' must name the lock-ops module/],
    ['--bootargs with a bad ops_module', ['--configs', 'LOCK01', '--bootargs', 'locktorture.torture_type=user locktorture.ops_module=@never'], /must settle its top-level await/],
    ['a .boot file', ['--configs', 'LOCKU'], /exits\.mjs' must load without ending the process/],
  ];
  for (const [what, args, re] of cases) {
    it(`${what}: exit 2, one line, no results directory`, () => {
      const r = torture(['--torture', 'lock', '--duration', '5s', ...args.map((a) => a.replace(/@(\w+)/, (_, m: string) => path.join(dir, `${m}.mjs`)))]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^torture: Cannot /);
      expect(lines[0]).toMatch(re);
      expect(existsSync(r.resdir)).toBe(false);
    });
  }

  it('again: the module the first run used is checked again (it may have changed since)', () => {
    const module = path.join(dir, 'changing.mjs');
    // A correct test-and-set lock, so that the first run passes.
    writeFileSync(module, `let w = new Int32Array(1);
export default { name: 'tas', sharedBytes: 4, init(s) { w = s; }, writeLock() { while (Atomics.compareExchange(w, 0, 0, 1) !== 0); }, writeUnlock() { Atomics.store(w, 0, 0); } };
`);
    const first = torture(['--torture', 'lock', '--configs', 'LOCK2', '--duration', '2s', '--ops', module]);
    expect(first.status, first.stderr).toBe(0);
    writeFileSync(module, MODULES.exits);
    const results = makeTestTempDir('ops-check-results');
    const r = torture(['again', first.resdir], results);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^torture: Cannot load lock ops module as '.*changing\.mjs' must load without ending the process/);
    expect(existsSync(r.resdir)).toBe(false);
  });
});
