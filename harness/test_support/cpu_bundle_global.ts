/*
 * vitest global setup (vitest.config.ts `globalSetup`): link the CPU bundle when dist/ was built by
 * tsc alone (`npx tsc -p tsconfig.json`, then `npx vitest run`): the CPUs of a stale or missing
 * bundle load ES modules (harness/cpu/cpu_bundle_check.ts), and the bundle's own tests would test
 * nothing. `npm test` builds both; this only catches up, before any test file starts. Stale means
 * what a guest takes for stale: older than any file the bundle was linked from.
 */

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export default async function setup(): Promise<void> {
  const check = path.join(ROOT, 'dist', 'harness', 'cpu', 'cpu_bundle_check.js');
  if (!existsSync(check)) return; // nothing built: the tests that need dist/ say so themselves
  const { cpuBundleVerdict } = (await import(pathToFileURL(check).href)) as typeof import('../cpu/cpu_bundle_check.js');
  if (cpuBundleVerdict([]) === 'bundle') return;
  execFileSync(process.execPath, [path.join(ROOT, 'bin', 'build_cpu_bundle.js')], { stdio: 'inherit' });
}
