/*
 * The CPU bundle (cpu_bundle.ts, built by bin/build_cpu_bundle.js in `npm run build`):
 *  - it holds every suite's boot modules, and a guest with a module it lacks loads ES modules;
 *  - a bundle older than any file it was linked from is stale;
 *  - V8 takes back a code cache made from it and refuses a foreign one (the CPU then compiles);
 *  - a scenario guest runs from it, and its lockdep report's stacks are .ts positions with the
 *    kernel's function names, as with ES modules;
 *  - a guest's CPU 0 leaves a code cache that the next guest's CPUs use.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { GuestResult } from '../guest/guest_spec.js';
import { distModuleUrl } from '../guest/run_guest.js';
import { sectionedMap } from './bundle_map.js';
import { CompactSourceMap, SectionedSourceMap } from './lazy_source_maps.js';
import type { TortureSuite } from '../guest/guest_spec.js';
import { runTestGuest, runTortureUntil, scenarioConsole } from '../test_support/run_until.js';
import { makeTestTempDir, writeFileDated } from '../test_support/temp_dir.js';

// The built modules: the bundle lies beside dist/harness/cpu/cpu_bundle.js, and the suites'
// module URLs are dist/ URLs there.
const { loadCpuBundle } = (await import(distModuleUrl('harness/cpu/cpu_bundle'))) as typeof import('./cpu_bundle.js');
const { cpuBundleVerdict } = (await import(distModuleUrl('harness/cpu/cpu_bundle_check'))) as typeof import('./cpu_bundle_check.js');
const { codeCacheWritable } = (await import(distModuleUrl('harness/cpu/code_cache'))) as typeof import('./code_cache.js');
const { SUITES } = (await import(distModuleUrl('harness/suites/index'))) as typeof import('../suites/index.js');
const distFile = (rel: string): string => fileURLToPath(new URL(rel, distModuleUrl('x').replace(/x\.js$/, '')));

describe('the CPU bundle', () => {
  it("holds every suite's boot modules; a guest with a test-only module loads ES modules", () => {
    for (const suite of Object.keys(SUITES) as TortureSuite[]) {
      expect(cpuBundleVerdict(SUITES[suite].bootModules), suite).toBe('bundle');
      expect(loadCpuBundle(0, SUITES[suite].bootModules, undefined), suite).not.toBeNull();
    }
    const testOnly = [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('harness/cpu/test_support/hotplug_migrate')];
    expect(cpuBundleVerdict(testOnly)).toBe('lacks-module');
    expect(loadCpuBundle(0, testOnly, undefined)).toBeNull();
  });

  it('is stale once any file it was linked from is newer than it (a tree rebuilt by tsc alone)', () => {
    const dist = makeTestTempDir('bundle-check');
    const file = (rel: string, text: string, sec: number): string => writeFileDated(dist, rel, text, sec);
    const a = file('kernels/a.js', 'export {};\n', 1_000_000);
    const b = file('harness/b.js', 'export {};\n', 1_000_000);
    const manifest = { bootModules: ['kernels/a.js'], inputs: ['kernels/a.js', 'harness/b.js'] };
    file('harness/cpu/vmlinux.js', '(function () {})', 1_000_010);
    file('harness/cpu/vmlinux.modules.json', JSON.stringify(manifest), 1_000_010);
    const cpuDir = pathToFileURL(path.join(dist, 'harness', 'cpu') + path.sep);
    const mods = [pathToFileURL(a).href];
    expect(cpuBundleVerdict(mods, cpuDir)).toBe('bundle');
    expect(cpuBundleVerdict([...mods, pathToFileURL(b).href], cpuDir)).toBe('lacks-module');
    // One input rewritten, the one the old check looked at (cpu_bundle.js) untouched.
    utimesSync(b, 1_000_020, 1_000_020);
    expect(cpuBundleVerdict(mods, cpuDir)).toBe('stale');
    utimesSync(b, 1_000_000, 1_000_000);
    rmSync(a);
    expect(cpuBundleVerdict(mods, cpuDir)).toBe('stale');
    // A manifest that is not the build's (null, bootModules not a list): as if absent, no throw.
    file('harness/cpu/vmlinux.modules.json', 'null', 1_000_010);
    expect(cpuBundleVerdict(mods, cpuDir)).toBe('absent');
    file('harness/cpu/vmlinux.modules.json', JSON.stringify({ bootModules: 'kernels/a.js', inputs: [] }), 1_000_010);
    expect(cpuBundleVerdict(mods, cpuDir)).toBe('absent');
    rmSync(path.join(dist, 'harness', 'cpu', 'vmlinux.js'));
    expect(cpuBundleVerdict(mods, cpuDir)).toBe('absent');
  });

  it('makes no code cache where none can be written', () => {
    const dir = makeTestTempDir('bundle-cache-dir');
    expect(codeCacheWritable(path.join(dir, 'vmlinux.x.cache'))).toBe(true);
    expect(codeCacheWritable(path.join(dir, 'gone', 'vmlinux.x.cache'))).toBe(false);
    expect(codeCacheWritable(null)).toBe(false);
  });

  it('takes back its own code cache and refuses a foreign one (each in a fresh process: V8 reuses a script compiled in the same isolate)', () => {
    const dir = makeTestTempDir('bundle-cache');
    const mods = JSON.stringify(SUITES.rcu.bootModules);
    const child = (cache: string, save: string): string =>
      execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
const { loadCpuBundle } = await import(${JSON.stringify(distModuleUrl('harness/cpu/cpu_bundle'))});
const given = ${JSON.stringify(cache)} === '' ? undefined : new Uint8Array(readFileSync(${JSON.stringify(cache)}));
const b = loadCpuBundle(0, ${mods}, given);
if (${JSON.stringify(save)} !== '') writeFileSync(${JSON.stringify(save)}, b.script.createCachedData());
process.stdout.write(String(b.cacheRejected));`,
        ],
        { encoding: 'utf8' },
      );
    const own = path.join(dir, 'own.cache');
    const foreign = path.join(dir, 'foreign.cache');
    writeFileSync(foreign, new Uint8Array(4096).fill(7));
    expect(child('', own)).toBe('false');
    expect(child(own, '')).toBe('false');
    expect(child(foreign, '')).toBe('true');
  });

  it('has a sectioned map that answers as the flat map at every position, hidden sources mapped nowhere', () => {
    // A real flat map (tsc's, of a large kernel file, two sources seen as one hidden and one not)
    // cut into sections of 37 lines (the bundle's are 500: bin/build_cpu_bundle.js).
    const mapFile = distFile('kernels/rcu/tree.js.map');
    const flat = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; mappings: string };
    const base = pathToFileURL(mapFile);
    const whole = new CompactSourceMap(flat.mappings, flat.sources.map((x) => new URL(x, base).href));
    const lines = readFileSync(distFile('kernels/rcu/tree.js'), 'utf8').split('\n');
    for (const hide of [false, true]) {
      const cut = new SectionedSourceMap(sectionedMap(flat, flat.sources.map(() => hide), 37), base);
      let checked = 0;
      for (let l = 0; l < lines.length; l++) {
        for (let c = 0; c <= (lines[l]?.length ?? 0); c++) {
          const want = hide ? {} : whole.findEntry(l, c);
          expect(cut.findEntry(l, c), `${l}:${c}`).toEqual(want);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(10_000);
    }
  });

  it('runs a scenario guest whose lockdep report reads as with ES modules: .ts positions, kernel names', { timeout: 300_000 }, async () => {
    const circular = /WARNING: possible circular locking dependency detected/;
    const r = await runTortureUntil(['--configs', 'TREE05', '--bootargs', 'rcutree.test_lock_inversion=1'], (x) => circular.test(scenarioConsole(x, 'TREE05')), { fromSec: 5, capSec: 40 });
    const c = scenarioConsole(r, 'TREE05');
    expect(c).toMatch(circular);
    const result = JSON.parse(readFileSync(path.join(r.dir, 'TREE05', 'guest-result.json'), 'utf8')) as GuestResult;
    expect(result.cpuImage?.image).toBe('bundle');
    // Which of the two orders closes the cycle varies; both stacks name these functions.
    expect(c).toMatch(/, at: (rcutree_migrate_callbacks|rcu_cpu_starting) \(kernels\/rcu\/tree\.ts:\d+\)\n/);
    expect(c).toMatch(/\] +raw_spin_lock \(kernels\/locking\/spinlock\.ts:\d+\)\n/);
    expect(c).toMatch(/\] +rcu_cpu_starting \(kernels\/rcu\/tree\.ts:\d+\)\n/);
    expect(c).toMatch(/\] +rcutree_migrate_callbacks \(kernels\/rcu\/tree\.ts:\d+\)\n/);
    expect(c).toMatch(/\] +cpuhp_invoke_callback \(kernels\/cpu\/hotplug\.ts:\d+\)\n/);
    // The machinery stays out of the stacks (harness/lockdep/stack.ts), mapped or not.
    expect(c).not.toMatch(/\((harness\/(cpu|lockdep|guest)\/|dist\/|.*vmlinux)/);
  });

  it("leaves a code cache from CPU 0 that the next guest's CPUs use", { timeout: 120_000 }, async () => {
    const guest = () => runTestGuest({ suite: 'rcu', nrCpus: 2, durationSec: 2, bootParams: { 'rcutorture.onoff_interval': '0' } });
    const first = await guest();
    expect(first.result?.cpuImage?.image).toBe('bundle');
    expect(['used', 'made']).toContain(first.result?.cpuImage?.cache);
    const second = await guest();
    expect(second.result?.cpuImage).toEqual({ image: 'bundle', cache: 'used' });
  });
});
