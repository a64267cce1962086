/*
 * Where the project lives, found from this module's own location (it runs both as
 * harness/run/*.ts under vitest and as dist/harness/run/*.js): the nearest ancestor directory with
 * a package.json named "torture". Nothing else.
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
