/*
 * The package people install: `npm pack` of this checkout, installed into a fresh project in a
 * temporary directory, whose entry points work there with their TypeScript types, and whose
 * `torture/test` runs a vitest test of the fresh project: a lock PASSes, the correct queue
 * PASSes, each broken queue FAILs with a minimal history and a rerun command that fails again.
 *
 * Offline by design (CI, a clean clone): the tarball is packed with --ignore-scripts from the
 * dist/ this run built; its dependencies are copied into the fresh project from this checkout's
 * node_modules (the versions package-lock.json pins, which `npm ci` installed), so that
 * `npm install --offline TARBALL` finds them satisfied and fetches nothing. vitest, TypeScript
 * and @types/node are this checkout's, linked in as a project's dev dependencies would be.
 */

import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../lib/repo_root.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

const ROOT = repoRoot();

interface End {
  readonly code: number | null;
  readonly out: string;
}

/** Run a command to its end (stdout and stderr together). */
function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<End> {
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** The production dependencies package-lock.json pins (top-level entries only: nested ones come with their parent). */
function prodDependencies(): string[] {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([k, v]) => k.startsWith('node_modules/') && v.dev !== true && k.lastIndexOf('node_modules/') === 0)
    .map(([k]) => k.slice('node_modules/'.length));
}

/** An environment without the outer vitest's variables (the inner run is a project of its own). */
function cleanEnv(extraPath: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TORTURE_CONFIGS') env[k] = v;
  env['PATH'] = `${extraPath}${path.delimiter}${process.env['PATH'] ?? ''}`;
  return env;
}

const TYPES_TS = `import { runGuest, attachLockdep, TortureError } from 'torture';
import { tortureLock, tortureObject, example, type TortureVerdict, type TortureOptions } from 'torture/test';
import { attachLockdep as attach2 } from 'torture/lockdep';
LOCKS_IMPORT
const options: TortureOptions = { cpus: 2, duration: 5, hotplug: false, seed: 1, preemption: 'none' };
const v: Promise<TortureVerdict> = tortureLock('./futex_lock.mjs', options);
const w: Promise<TortureVerdict> = tortureObject(example('object', 'locked_queue'));
export const all = [runGuest, attachLockdep, attach2, TortureError, v, w];
// @ts-expect-error: a verdict is one of three words
export const bad: TortureVerdict['verdict'] = 'MAYBE';
`;

const VITEST_TEST = `import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { example, tortureLock, tortureObject, type TortureVerdict } from 'torture/test';

const bin = path.resolve('node_modules/.bin');
const env = { ...process.env, PATH: bin + path.delimiter + (process.env.PATH ?? '') };

function rerun(v: TortureVerdict): Promise<{ code: number | null; out: string }> {
  const child = spawn('sh', ['-c', v.rerun + ' --results results/rerun --quiet'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (out += b));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

it('tortures a lock and three queues from an installed package', async () => {
  const o = { duration: 5 };
  const [lock, good, racy, lossy] = await Promise.all([
    tortureLock('./futex_lock.mjs', o),
    tortureObject(example('object', 'locked_queue'), o),
    tortureObject(example('object', 'racy_ring'), o),
    tortureObject(example('object', 'lossy_queue'), o),
  ]);
  expect(lock.verdict, lock.reasons.join('; ')).toBe('PASS');
  expect(lock.ok).toBe(true);
  expect(lock.counters['acquisitions']).toBeGreaterThan(0);
  expect(good.verdict, good.reasons.join('; ')).toBe('PASS');
  expect(good.history?.verdict).toBe('linearizable');
  for (const bad of [racy, lossy]) {
    expect(bad.verdict).toBe('FAIL');
    expect(bad.ok).toBe(false);
    expect(bad.history?.verdict).toBe('violation');
    const minimal = (bad.history?.ops ?? []).filter((x) => !x.context);
    expect(minimal.length).toBeGreaterThan(0);
    expect(bad.findings[0]?.title).toContain('!!! not linearizable');
    expect(bad.findings[0]?.excerpt.length).toBeGreaterThan(2);
    expect(bad.rerun).toContain('--seed ' + bad.seed);
  }
  const again = await Promise.all([rerun(racy), rerun(lossy)]);
  for (const r of again) {
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('not linearizable');
  }
  console.log('PACKED-RUN ' + JSON.stringify({ racy: racy.rerun, lossyMinimal: lossy.history?.ops?.length }));
}, 150_000);
`;

describe('npm pack', () => {
  it('installs into a fresh project whose entry points, types, CLI and torture/test work', async () => {
    expect(existsSync(path.join(ROOT, 'dist', 'harness', 'test_api', 'index.js')), 'npm run build first').toBe(true);
    const tmp = makeTestTempDir('pack');
    const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], ROOT);
    expect(packed.code, packed.out).toBe(0);
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();

    const proj = path.join(tmp, 'proj');
    const nm = path.join(proj, 'node_modules');
    mkdirSync(nm, { recursive: true });
    writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'fresh', version: '1.0.0', type: 'module', private: true }, null, 2));
    for (const dep of prodDependencies()) {
      const src = path.join(ROOT, 'node_modules', dep);
      if (existsSync(src)) cpSync(src, path.join(nm, dep), { recursive: true });
    }
    const installed = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', path.join(tmp, tarball ?? '')], proj);
    expect(installed.code, installed.out).toBe(0);
    for (const dev of ['vitest', 'typescript', '@types/node']) {
      mkdirSync(path.dirname(path.join(nm, dev)), { recursive: true });
      symlinkSync(path.join(ROOT, 'node_modules', dev), path.join(nm, dev), 'dir');
    }
    cpSync(path.join(ROOT, 'configs', 'lock', 'examples', 'futex_lock.mjs'), path.join(proj, 'futex_lock.mjs'));
    const env = cleanEnv(path.join(nm, '.bin'));

    // The CLI, from the package's bin.
    const version = await run(path.join(nm, '.bin', 'torture'), ['--version'], proj, env);
    expect(version.out.trim()).toBe(`torture ${(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`);

    // Types: every entry point (torture/locks once the package exports it), with this project's TypeScript.
    const exportsMap = (JSON.parse(readFileSync(path.join(nm, 'torture', 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports;
    const locks = Object.hasOwn(exportsMap, './locks') ? "import * as locks from 'torture/locks';\nexport const l = locks;" : '';
    writeFileSync(path.join(proj, 'types.ts'), TYPES_TS.replace('LOCKS_IMPORT', locks));
    writeFileSync(
      path.join(proj, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2023', strict: true, noEmit: true, types: ['node'] }, files: ['types.ts'] }),
    );
    const tsc = await run(process.execPath, [path.join(nm, 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], proj, env);
    expect(tsc.code, tsc.out).toBe(0);

    // torture/test from the fresh project's own vitest test.
    writeFileSync(path.join(proj, 'torture.test.ts'), VITEST_TEST);
    const vitest = await run(process.execPath, [path.join(nm, 'vitest', 'vitest.mjs'), 'run', '--root', proj], proj, env);
    expect(vitest.code, vitest.out.slice(-4000)).toBe(0);
    expect(vitest.out).toContain('PACKED-RUN');
    expect(vitest.out).toMatch(/1 passed/);
  }, 240_000);
});
