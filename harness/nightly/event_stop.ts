/*
 * Ends an expected-failure step at its event (Step.stopAtEvent): while the step runs, poll the
 * consoles of its results directory and, once one shows what the step's expectation waits for
 * (expectedEventSeen: BUSTED's `!!!`, the seed's circular report), write the directory's STOP
 * file, the driver's kvm.sh convention (harness/run/run_session.ts): the driver then kills its
 * guests and rechecks what they printed. Polling files, not a fixed wait: the event comes when
 * the host lets it come, seconds apart between an idle and a loaded machine.
 */

import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SCENARIO_FILE } from '../formats/results_files.js';
import { expectedEventSeen, type StepExpect } from './expect.js';

/** How often the consoles are read: a few times the driver's own STOP poll. */
const EVENT_POLL_MS = 1000;

/** Consoles written so far under a results directory (none before the driver made it). */
function consolesOf(resdir: string): string[] {
  if (!existsSync(resdir)) return [];
  return readdirSync(resdir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join(resdir, d.name, SCENARIO_FILE.console))
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f, 'utf8'));
}

/** Whether a console under `resdir` shows `expect`'s event yet. */
export function eventInConsoles(expect: StepExpect, resdir: string): boolean {
  return consolesOf(resdir).some((c) => expectedEventSeen(expect, c));
}

/** Watch `resdir` until `expect`'s event shows, then write its STOP file; returns the cancel. */
export function stopAtEvent(expect: StepExpect, resdir: string): () => void {
  const timer = setInterval(() => {
    try {
      if (!eventInConsoles(expect, resdir)) return;
      clearInterval(timer);
      writeFileSync(path.join(resdir, 'STOP'), '');
    } catch {
      // A console that cannot be read, or a STOP that cannot be written (a full disk): the step
      // then runs to its cap, and its own results say what went wrong.
      clearInterval(timer);
    }
  }, EVENT_POLL_MS);
  return () => clearInterval(timer);
}
