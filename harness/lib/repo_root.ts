/*
 * Where the project lives, found from this module's own location (it runs both as
 * harness/lib/*.ts under vitest and as dist/harness/lib/*.js): the nearest ancestor directory with
 * a package.json named "torture". In lib/ (the ground floor) because every folder that starts a
 * process or reads a shipped file needs it, and none of them should import the driver for it.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** Absolute path of the repository root. */
export function repoRoot(): string {
  if (cached !== undefined) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'torture') return (cached = dir);
      } catch {
        /* not ours; keep looking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the torture package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}
