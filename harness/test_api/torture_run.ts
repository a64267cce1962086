/*
 * tortureLock() and tortureObject(): a torture case run from any test runner through the same
 * code path as the command line (it IS the command line: `node bin/torture.js ...` in a child
 * process, so the driver, its guests, recheck and the results directory are exactly the CLI's),
 * then the typed verdict read from the files it left (verdict.ts).
 *
 * Bad input (a module that is not a lock or an object, a bad option) is what the CLI says it is:
 * its one line, thrown as a TortureError with the CLI's exit status 2. A run that ended with no
 * summary (the driver killed, the disk full) is an Error with the end of its output.
 */

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { TortureError } from '../errors.js';
import { datestamp as kvmDatestamp } from '../lib/kvm_date.js';
import { repoRoot } from '../lib/repo_root.js';
import { rerunCommand, tortureCase, type TortureCase, type TortureKind, type TortureOptions } from './torture_case.js';
import { readVerdict, type TortureVerdict } from './verdict.js';

interface CliEnd {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `torture ARGS` (this package's bin) to its end. */
function runCli(args: readonly string[]): Promise<CliEnd> {
  const bin = path.join(repoRoot(), 'bin', 'torture.js');
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal !== null ? 128 : 1), stdout, stderr }));
  });
}

/** A datestamp of its own for each case: the kvm.sh date and a random tag (never taken). */
function caseDatestamp(): string {
  return `${kvmDatestamp(new Date())}.${randomBytes(3).toString('hex')}`;
}

async function runCase(c: TortureCase): Promise<TortureVerdict> {
  const datestamp = caseDatestamp();
  const end = await runCli([...c.caseArgs, '--results', c.resultsRoot, '--datestamp', datestamp, '--quiet']);
  if (end.code === 2) {
    // main.ts's one line (`torture: Cannot ...`), then its usage hint.
    const line = end.stderr.split('\n').find((l) => l.startsWith('torture: ')) ?? end.stderr.trim();
    throw new TortureError('USAGE', line.startsWith('torture: ') ? line.slice('torture: '.length) : line);
  }
  const v = readVerdict(path.join(c.resultsRoot, datestamp), c.scenario, c.seed, rerunCommand(c));
  if (v === null) throw new Error(`torture ended with status ${end.code} and no summary.json: ${(end.stderr || end.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  return v;
}

function torture(kind: TortureKind, module: string | URL, options?: TortureOptions): Promise<TortureVerdict> {
  return runCase(tortureCase(kind, module, options));
}

/** Torture a lock-ops module (`torture --torture lock --ops FILE`): its verdict. */
export function tortureLock(opsPath: string | URL, options?: TortureOptions): Promise<TortureVerdict> {
  return torture('lock', opsPath, options);
}

/** Torture a concurrent object's ops module (`torture --torture object --ops FILE`): its verdict. */
export function tortureObject(specPath: string | URL, options?: TortureOptions): Promise<TortureVerdict> {
  return torture('object', specPath, options);
}
