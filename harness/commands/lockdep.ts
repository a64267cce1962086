/*
 * `torture lockdep TRACE.jsonl... [-] [--all] [--json]`: run the lockdep validator over recorded
 * lock traces (harness/lockdep/trace/trace_cli.ts: many traces on a worker pool, output in argument
 * order). Exit 0 clean, 1 a report.
 */

import { option } from '../cli/cli_option.js';
import { FLAG } from '../cli/option_kinds.js';
import { countText, TRACE_LIMITS as L } from '../lockdep/trace/trace_limits.js';
import type { Command } from './command.js';

export const lockdep: Command = {
  name: 'lockdep',
  yargs: 'lockdep [traces..]',
  describe: 'check lock traces',
  synopsis: ['lockdep TRACE.jsonl... [-] [--all] [--json] [--lock-stat]'],
  about: `Run the lockdep validator over recorded lock traces (JSON lines, one lock event each; \`-\` is
standard input; a FIFO or \`<(cmd)\` is read as a stream). Several traces are checked in parallel;
each trace's output is printed whole, in the order the traces were named. A line is at most
${countText(L.lineBytes)} bytes, a task or lock name at most ${countText(L.nameChars)} characters, a stack frame at most ${countText(L.frameChars)}, nesting at
most ${L.depth} levels; a trace with more lock classes than the validator holds (${countText(L.keys)}) gets the
kernel's report \`BUG: MAX_LOCKDEP_KEYS too low!\`. Events may carry \`"ts"\` (ns; on acquire also
\`"acquired_ts"\`, \`"cpu"\`): \`--lock-stat\` then prints each trace's lock_stat after its check.`,
  options: {
    all: option(FLAG, 'go on after the first report: each distinct problem once, then a summary'),
    json: option(FLAG, "one JSON document instead of the text (per trace: counts and findings)"),
    'lock-stat': option(FLAG, 'after the check, each trace\'s lock_stat (/proc/lock_stat format) from its events\' "ts" keys (files only)'),
  },
  notes: 'Exit status: 0 every trace clean, 1 a report, 2 bad input (a missing file, a malformed trace, a line past a limit).',
  async handler(a, { argv, io }) {
    // yargs drops a lone `-` (standard input): the traces are the non-option words after the command.
    const at = argv.indexOf('lockdep');
    const traces = argv.slice(at + 1).filter((w) => w === '-' || !w.startsWith('-'));
    const { lockdepCommand } = await import('../lockdep/trace/trace_cli.js');
    return lockdepCommand({ traces, all: a['all'] === true, json: a['json'] === true, lockStat: a['lock-stat'] === true }, io);
  },
};
