/*
 * `torture again DIR`: rerun a results directory's scenarios with the same merged configs, boot
 * parameters and seed (kvm-again.sh); harness/run/again.ts builds the plan from the directory.
 */

import path from 'node:path';
import { datestamp } from '../lib/kvm_date.js';
import type { RunPlan } from '../run/plan.js';
import { checkRunLength, parseDuration } from '../run/duration.js';
import { distPath } from '../lib/dist_entry.js';
import { last, usage, type Command } from './command.js';
import { checkDatestamp, checkResultsRoot, commandLineOf, terminalDisplay } from './run_options.js';

export const again: Command = {
  name: 'again',
  yargs: 'again [dir]',
  describe: 'rerun a results directory',
  synopsis: ['again DIR [--duration D] [--datestamp NAME] [--results DIR] [--quiet]'],
  options: {
    duration: { type: 'string' },
    datestamp: { type: 'string' },
    results: { type: 'string' },
    'shutdown-grace': { type: 'string' },
    quiet: { type: 'boolean' },
  },
  async handler(a, { argv, io, terminal }) {
    const dir = last(a['dir']);
    if (dir === undefined || dir === '') throw usage(`Cannot run again as 'DIR' must name a results directory: current value is (none)`);
    const durText = last(a['duration']);
    const durationSec = durText === undefined ? undefined : parseDuration(durText);
    const graceText = last(a['shutdown-grace']);
    if (graceText !== undefined && !/^[0-9]+$/.test(graceText)) {
      throw usage(`Cannot use --shutdown-grace as 'SECS' must be an integer >= 0: current value is ${graceText || '(empty)'}`);
    }
    const ds = last(a['datestamp']);
    if (ds !== undefined) checkDatestamp(ds);
    const resultsText = last(a['results']);
    if (resultsText !== undefined) checkResultsRoot(path.resolve(resultsText), resultsText);
    const { againPlan } = await import('../run/again.js');
    const plan: RunPlan = againPlan({
      dir,
      ...(durationSec !== undefined ? { durationSec } : {}),
      ...(graceText !== undefined ? { shutdownGraceSec: Number.parseInt(graceText, 10) } : {}),
      ...(resultsText !== undefined ? { resultsRoot: resultsText } : {}),
      datestamp: ds ?? datestamp(new Date()),
      commandLine: commandLineOf(argv),
    });
    checkRunLength(plan.durationSec, plan.shutdownGraceSec);
    const guestMain = distPath('guestMain');
    const { checkResdirFree, runBatches } = await import('../run/run_batches.js');
    checkResdirFree(plan.resdir);
    return runBatches(plan, guestMain, { out: io.out, display: await terminalDisplay(io, terminal, a['quiet'] === true, plan.durationSec) });
  },
};
