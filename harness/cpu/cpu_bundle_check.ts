/*
 * Whether a guest's CPUs load the CPU bundle (cpu_bundle.ts), decided once by the guest's main
 * thread before it starts them (harness/guest/guest_main.ts): the bundle is there, holds every
 * boot module of the guest, and is not older than any of the files it was linked from. A tree
 * rebuilt by tsc alone (`npx tsc -p tsconfig.json`), or one file of it rewritten since `npm run
 * build`, has a bundle older than some of its inputs: its CPUs load ES modules until the next
 * `npm run build` (guest-result.json `cpuImage` says `modules`). The build lists the inputs
 * beside the bundle (bin/build_cpu_bundle.js, CPU_BUNDLE_MODULES_FILE); a stat of each (some 150
 * files) costs the main thread 1-2 ms, once per guest, not once per CPU.
 */

import { readFileSync, statSync } from 'node:fs';
import { CPU_BUNDLE_FILE, CPU_BUNDLE_MODULES_FILE } from './cpu_bundle_file.js';

/** What the build writes beside the bundle: paths under dist/. */
export interface CpuBundleManifest {
  /** Every suite's boot modules, each a module of the bundle. */
  readonly bootModules: readonly string[];
  /** The files the bundle was linked from (tsc's output). */
  readonly inputs: readonly string[];
}

export type CpuBundleVerdict = 'bundle' | 'absent' | 'stale' | 'lacks-module';

/** Whether CPUs booting `modules` (dist/ URLs) load the bundle in `cpuDir` (dist/harness/cpu/, a URL ending in '/'). */
export function cpuBundleVerdict(modules: readonly string[], cpuDir: URL = new URL('./', import.meta.url)): CpuBundleVerdict {
  const distRoot = new URL('../../', cpuDir).href;
  let manifest: Partial<CpuBundleManifest>;
  let bundleMs: number;
  try {
    bundleMs = statSync(new URL(CPU_BUNDLE_FILE, cpuDir)).mtimeMs;
    manifest = JSON.parse(readFileSync(new URL(CPU_BUNDLE_MODULES_FILE, cpuDir), 'utf8')) as Partial<CpuBundleManifest>;
  } catch {
    return 'absent';
  }
  // A manifest that is not the build's (cut short, edited): as if there were none.
  if (typeof manifest !== 'object' || manifest === null || (manifest.bootModules !== undefined && !Array.isArray(manifest.bootModules))) return 'absent';
  const bundled = new Set(manifest.bootModules ?? []);
  if (!modules.every((url) => url.startsWith(distRoot) && bundled.has(url.slice(distRoot.length)))) return 'lacks-module';
  // A manifest without its inputs is an older build's: stale.
  if (!Array.isArray(manifest.inputs) || manifest.inputs.length === 0) return 'stale';
  for (const p of manifest.inputs) {
    const st = statSync(new URL(p, distRoot), { throwIfNoEntry: false });
    if (st === undefined || st.mtimeMs > bundleMs) return 'stale';
  }
  return 'bundle';
}
