/*
 * `torture again DIR`: rerun a results directory's scenarios with the same merged configs, boot
 * parameters and seed (kvm-again.sh); harness/run/again.ts builds the plan from the directory.
 */

import { last, option, valueOf } from '../cli/cli_option.js';
import { checkRunLength } from '../cli/duration.js';
import { DATESTAMP, DURATION, RESULTS_ROOT } from '../cli/option_kinds.js';
import { commandLineOf } from '../cli/shell_quote.js';
import { datestamp } from '../lib/kvm_date.js';
import { usage, type Command } from './command.js';
import { QUIET, SHUTDOWN_GRACE } from './run.js';
import { startRun } from './start_run.js';

const OPTIONS = {
  duration: option(DURATION, "each scenario's run time (default: the one DIR ran with)"),
  datestamp: option(DATESTAMP, 'results subdirectory (default: YYYY.MM.DD-HH.MM.SS, .2 .3 ... when taken)'),
  results: option(RESULTS_ROOT, "results root (default: DIR's parent)"),
  'shutdown-grace': SHUTDOWN_GRACE,
  quiet: QUIET,
} as const;

export const again: Command = {
  name: 'again',
  yargs: 'again [dir]',
  describe: 'rerun a results directory',
  synopsis: ['again DIR [--duration D] [--datestamp NAME] [--results DIR] [--quiet]'],
  about: `Rerun the scenarios of the results directory DIR (kvm-again.sh) with the merged configs, boot
parameters, batches and random seed it ran with, read from its own files (never from configs/).
The new results directory gets a \`re-run\` file naming DIR.`,
  options: OPTIONS,
  notes: 'Exit status: 0 all runs succeeded, 1 a run failed, 2 bad input.',
  async handler(a, { argv, io, terminal }) {
    const dir = last(a['dir']);
    if (dir === undefined || dir === '') throw usage(`Cannot run again as 'DIR' must name a results directory: current value is (none)`);
    const durationSec = valueOf(a, 'duration', OPTIONS.duration);
    const shutdownGraceSec = valueOf(a, 'shutdown-grace', OPTIONS['shutdown-grace']);
    const ds = valueOf(a, 'datestamp', OPTIONS.datestamp);
    const resultsRoot = valueOf(a, 'results', OPTIONS.results);
    const { againPlan } = await import('../run/again.js');
    const plan = againPlan({
      dir,
      ...(durationSec !== undefined ? { durationSec } : {}),
      ...(shutdownGraceSec !== undefined ? { shutdownGraceSec } : {}),
      ...(resultsRoot !== undefined ? { resultsRoot } : {}),
      datestamp: ds ?? datestamp(new Date()),
      ...(ds === undefined ? { uniqueDatestamp: true } : {}),
      commandLine: commandLineOf(argv),
    });
    checkRunLength(plan.durationSec, plan.shutdownGraceSec);
    // The lock-ops module DIR ran with may have changed since: checked as `torture --ops` checks it.
    await (await import('../torture/ops_check.js')).checkUserOps(plan.scenarios.values());
    return startRun(plan, io, terminal, a['quiet'] === true);
  },
};
