/*
 * The CPU bundle: the CPU worker's whole module graph (cpu_main.ts, the runtime, lockdep, and
 * every suite's boot modules) as one script, `dist/harness/cpu/vmlinux.js` (the linked image), built by
 * `bin/build_cpu_bundle.js` after tsc (`npm run build`). A worker that loads ~85 ES modules pays
 * Node's ESM loader per module (resolve, read, link, evaluate: most of a CPU's boot after Node's
 * own); one script compiled with V8's code cache costs a fraction of it (harness/cpu/README.md,
 * "Boot").
 *
 * One module identity: the bundle imports `harness/kapi.js` from outside (the build makes it
 * external), so the kernel inside the bundle, `--ops` modules and anything else that imports
 * kapi see one installed kapi. A guest whose boot modules are not all in the bundle (test-only
 * modules, which import kernel modules of their own) loads every module as an ES module instead,
 * as before: two copies of a kernel module would be two kernels.
 *
 * Positions: the bundle's source map leads back to the .ts sources (through tsc's maps), and
 * each module's `import.meta.url` is its own dist file's URL (the build rewrites it), so paths,
 * stacks and reports read as with the ES modules.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import { parentPort } from 'node:worker_threads';
import * as kapiModule from '../kapi.js';
import type { LoadModule } from './cpu_main.js';
import type { FromCpu } from './protocol.js';
import { CPU_BUNDLE_FILE, CPU_BUNDLE_MODULES_FILE } from './cpu_bundle_file.js';

export { CPU_BUNDLE_FILE, CPU_BUNDLE_MODULES_FILE };
/** The specifier under which the bundle asks for harness/kapi.js (bin/build_cpu_bundle.js). */
export const KAPI_EXTERNAL = 'torture:kapi';

/** What the bundle exports (bin/build_cpu_bundle.js writes its entry); its modules run only when loaded. */
interface CpuBundle {
  readonly cpuMain: () => Promise<{ cpu_main: (load: LoadModule, afterBoot?: () => void) => Promise<void> }>;
  /** Each bundled boot module by its path under dist/ (`kernels/cpu/hotplug.js`). */
  readonly BOOT_MODULES: Readonly<Record<string, (() => Promise<unknown>) | undefined>>;
}

/** The bundle's wrapper; `importModule` serves its import() of a computed URL (an --ops module) from here, Node's ES loader. */
type BundleWrapper = (exports: unknown, require: (id: string) => unknown, module: { exports: unknown }, distRoot: string, importModule: (url: string) => Promise<unknown>) => void;

const DIST_ROOT = new URL('../../', import.meta.url).href;

/** The path under dist/ of a module URL, or null outside it. */
function distPath(url: string): string | null {
  return url.startsWith(DIST_ROOT) ? url.slice(DIST_ROOT.length) : null;
}

/** A loaded bundle: the script (for its code cache) and the CPU's main with the bundle's modules. */
export interface LoadedCpuBundle {
  readonly script: vm.Script;
  /** Whether V8 refused the code cache it was given (another Node build, another bundle). */
  readonly cacheRejected: boolean;
  main(): Promise<void>;
}

/**
 * Compile and run the bundle (its top level only defines its modules) and return the CPU's main
 * with a loader that serves `modules` from it, or null when the bundle is absent or does not hold
 * every one of `modules`. Whether it is current the guest decided (cpu_bundle_check.ts). CPU 0
 * makes a code cache when it had no good one, unless `makeCodeCache` is false (a read-only dist/:
 * the cache could not be written, so V8's serialisation would be work for nothing).
 */
export function loadCpuBundle(cpu: number, modules: readonly string[], cachedData: Uint8Array | undefined, makeCodeCache = true): LoadedCpuBundle | null {
  const file = new URL(CPU_BUNDLE_FILE, import.meta.url);
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  let script: vm.Script;
  try {
    script = new vm.Script(source, {
      filename: file.href,
      ...(cachedData !== undefined ? { cachedData } : {}),
    });
  } catch {
    // Not one whole script (a build's writes are whole files renamed into place, so only a
    // bundle changed by hand): this CPU loads ES modules, as for a bundle that is absent.
    return null;
  }
  const nodeRequire = createRequire(import.meta.url);
  const require = (id: string): unknown => (id === KAPI_EXTERNAL ? kapiModule : nodeRequire(id));
  const module = { exports: {} as unknown };
  (script.runInThisContext() as BundleWrapper)(module.exports, require, module, DIST_ROOT, async (url: string) => import(url));
  const b = module.exports as CpuBundle;
  const loaders = modules.map((url) => {
    const p = distPath(url);
    return p !== null ? b.BOOT_MODULES[p] : undefined;
  });
  if (loaders.some((l) => l === undefined)) return null;
  return {
    script,
    cacheRejected: cachedData !== undefined && script.cachedDataRejected === true,
    async main(): Promise<void> {
      const { cpu_main } = await b.cpuMain();
      const load = async (url: string): Promise<unknown> => {
        const l = b.BOOT_MODULES[distPath(url) ?? ''];
        return l !== undefined ? l() : import(url);
      };
      await cpu_main(load, () => {
        if (cpu !== 0) return;
        // CPU 0 of a guest without a good cache makes one once its boot ran (code_cache.ts).
        const used = cachedData !== undefined && script.cachedDataRejected !== true;
        const m: FromCpu = used
          ? { kind: 'cpu-image', cpu, image: { image: 'bundle', cache: 'used' } }
          : makeCodeCache
            ? { kind: 'cpu-image', cpu, image: { image: 'bundle', cache: 'made' }, data: script.createCachedData() }
            : { kind: 'cpu-image', cpu, image: { image: 'bundle', cache: 'none' } };
        parentPort?.postMessage(m);
      });
    },
  };
}
