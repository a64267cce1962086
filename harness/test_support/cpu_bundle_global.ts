/*
 * vitest global setup (vitest.config.ts `globalSetup`): link the CPU bundle when dist/ was built by
 * tsc alone (`npx tsc -p tsconfig.json`, then `npx vitest run`): the CPUs of a stale or missing
 * bundle load ES modules (harness/cpu/cpu_bundle.ts), and the bundle's own tests would test
 * nothing. `npm test` builds both; this only catches up, before any test file starts.
 */

import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function mtime(rel: string): number | null {
  try {
    return statSync(path.join(ROOT, rel)).mtimeMs;
  } catch {
    return null;
  }
}

export default function setup(): void {
  const loader = mtime('dist/harness/cpu/cpu_bundle.js');
  if (loader === null) return; // nothing built: the tests that need dist/ say so themselves
  const bundle = mtime('dist/harness/cpu/vmlinux.js');
  if (bundle !== null && bundle >= loader) return;
  execFileSync(process.execPath, [path.join(ROOT, 'bin', 'build_cpu_bundle.js')], { stdio: 'inherit' });
}
