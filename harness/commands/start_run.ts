/*
 * The end every run-like command shares (run, again): once the plan is checked, find the built
 * guest, make sure the results directory can be made, draw the run on the terminal and hand the
 * plan to the driver (harness/run/run_batches.ts). The driver is loaded only here, so that
 * `torture lockdep FILE` never loads it (README.md, start-up).
 */

import { builtEntry } from '../lib/dist_entry.js';
import type { RunPlan } from '../run/plan.js';
import type { RunDisplay } from '../run/progress_display.js';
import type { CliIo } from './command.js';

/** The run's terminal display: live on a terminal of our own stdout, else plain (or quiet). */
async function terminalDisplay(io: CliIo, terminal: boolean, quiet: boolean, durationSec: number): Promise<RunDisplay> {
  const { colourWanted, createRunDisplay, displayMode } = await import('../run/progress_display.js');
  const facts = { isTTY: terminal && process.stdout.isTTY, env: process.env, quiet };
  return createRunDisplay(displayMode(facts), colourWanted(facts), io.out, process.stdout, durationSec);
}

/** Run `plan` batch by batch; the exit code. */
export async function startRun(plan: RunPlan, io: CliIo, terminal: boolean, quiet: boolean): Promise<number> {
  const guestMain = builtEntry('guestMain', 'start guests');
  const { checkResdirFree } = await import('../run/run_session.js');
  checkResdirFree(plan.resdir, plan.uniqueDatestamp === true);
  const { runBatches } = await import('../run/run_batches.js');
  return runBatches(plan, guestMain, { out: io.out, display: await terminalDisplay(io, terminal, quiet, plan.durationSec) });
}
