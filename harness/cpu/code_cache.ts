/*
 * The CPU bundle's (cpu_bundle.ts) V8 code cache, beside the bundle in dist/harness/cpu/. The cache is V8's compiled code
 * of the bundle, made by CPU 0 of a guest that had none (after its boot, so that it holds the
 * functions the boot ran) and handed to every CPU of the next guests: a CPU then compiles almost
 * nothing. It is valid for one bundle build, one Node build and one set of V8 flags, so its name
 * carries all three; V8 checks it again and refuses a stale one (the CPU then compiles the source).
 * It lies beside the bundle (the build removes old ones) rather than in the temporary directory:
 * it outlives runs and test sandboxes alike; where dist/ is read-only, every guest compiles (and makes no cache).
 */

import { accessSync, constants, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fnv1a } from '../lib/fnv1a.js';
import { CPU_BUNDLE_FILE } from './cpu_bundle_file.js';

/** The code cache's file for this process's Node and flags and the bundle as built, or null without a bundle. */
export function codeCachePath(): string | null {
  const bundle = fileURLToPath(new URL(CPU_BUNDLE_FILE, import.meta.url));
  let st;
  try {
    st = statSync(bundle);
  } catch {
    return null;
  }
  const id = JSON.stringify([bundle, st.size, st.mtimeMs, process.version, process.arch, process.execArgv]);
  // Two hashes of the identity (FNV-1a with two seeds): 64 bits, a collision only costs a refused cache.
  const key = `${fnv1a(id).toString(16)}${fnv1a(id, 0x01000193).toString(16)}`;
  return path.join(path.dirname(bundle), `${CPU_BUNDLE_FILE.replace(/\.js$/, '')}.${key}.cache`);
}

/** The cache as a view of shared memory (one copy for every CPU worker), or undefined when there is none yet. */
export function readCodeCache(file: string | null): Uint8Array | undefined {
  if (file === null) return undefined;
  try {
    const b = readFileSync(file);
    const shared = new Uint8Array(new SharedArrayBuffer(b.length));
    shared.set(b);
    return shared;
  } catch {
    return undefined;
  }
}

/** Whether a cache could be written there (a read-only dist/: no CPU makes one for nothing). */
export function codeCacheWritable(file: string | null): boolean {
  if (file === null) return false;
  try {
    accessSync(path.dirname(file), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Store a cache CPU 0 made (written whole, then renamed: a guest starting meanwhile reads the old or none). */
export function writeCodeCache(file: string, data: Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch {
    /* a read-only dist/ or a full disk: the next guest compiles again */
  }
}
