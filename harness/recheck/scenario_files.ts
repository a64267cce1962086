/*
 * The only reader of a scenario directory for recheck: every file a rule may look at, read once,
 * null where missing or unreadable (a damaged directory becomes failure reasons, never a throw).
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ResultFile, ScenarioFiles, SpecFile } from './rule.js';

function readOptional(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function readJson<T>(file: string): T | null {
  const t = readOptional(file);
  if (t === null) return null;
  try {
    return JSON.parse(t) as T;
  } catch {
    return null;
  }
}

/** Read scenario directory `dir` (absolute). */
export function readScenarioFiles(dir: string): ScenarioFiles {
  return {
    dir,
    spec: readJson<SpecFile>(path.join(dir, 'guest-spec.json')),
    result: readJson<ResultFile>(path.join(dir, 'guest-result.json')),
    retvalText: readOptional(path.join(dir, 'guest-retval')),
    suiteFile: readOptional(path.join(path.dirname(dir), 'torture_suite'))?.trim() ?? null,
    console: readOptional(path.join(dir, 'console.log')),
    qemuOutput: readOptional(path.join(dir, 'qemu-output')),
    guestOutput: readOptional(path.join(dir, 'guest-output')),
    configFragmentInput: readOptional(path.join(dir, 'ConfigFragment.input')),
    dotConfig: readOptional(path.join(dir, '.config')),
  };
}
