/*
 * Checks and helpers the run-like commands share (run, again): the results root and datestamp
 * rules, the command line as logged, and the terminal display a run draws.
 */

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { RunDisplay } from '../run/progress_display.js';
import { usage, type CliIo } from './command.js';

/** The command line as typed, shell-quoted, for the first line of `log`. */
export function commandLineOf(argv: readonly string[]): string {
  return ['torture', ...argv.map(shellQuote)].join(' ');
}

function shellQuote(a: string): string {
  return /^[A-Za-z0-9_./=:,*+-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
}

export function checkDatestamp(ds: string): void {
  if (!/^[a-zA-Z0-9._/-]+$/.test(ds) || ds.startsWith('/') || ds.split('/').some((p) => p === '..' || p === '.' || p === '')) {
    throw usage(`Cannot use --datestamp as 'NAME' must be a relative path of [a-zA-Z0-9._-] words separated by /: current value is ${ds || '(empty)'}`);
  }
}

/** The run's terminal display: live on a terminal of our own stdout, else plain (or quiet). */
export async function terminalDisplay(io: CliIo, terminal: boolean, quiet: boolean, durationSec: number): Promise<RunDisplay> {
  const { colourWanted, createRunDisplay, displayMode } = await import('../run/progress_display.js');
  const facts = { isTTY: terminal && process.stdout.isTTY, env: process.env, quiet };
  return createRunDisplay(displayMode(facts), colourWanted(facts), io.out, process.stdout, durationSec);
}

export /** --results: the root may not exist yet, but nothing on its path may be a file. */
function checkResultsRoot(root: string, shown: string): void {
  for (let d = root; ; d = path.dirname(d)) {
    if (existsSync(d)) {
      if (!statSync(d).isDirectory()) throw usage(`Cannot use --results as '${shown}' must be a directory path: current value has a file at ${d}`);
      break;
    }
    if (path.dirname(d) === d) break;
  }
}
