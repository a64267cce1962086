/*
 * `torture lockdep TRACE.jsonl... [-] [--all] [--json]`: run the lockdep validator over recorded
 * lock traces (harness/lockdep/trace/trace_cli.ts: many traces on a worker pool, output in argument
 * order). Exit 0 clean, 1 a report.
 */

import type { Command } from './command.js';

export const lockdep: Command = {
  name: 'lockdep',
  yargs: 'lockdep [traces..]',
  describe: 'check lock traces',
  synopsis: ['lockdep TRACE.jsonl... [-] [--all] [--json]'],
  options: { all: { type: 'boolean' }, json: { type: 'boolean' } },
  async handler(a, { argv, io }) {
    // yargs drops a lone `-` (standard input): the traces are the non-option words after the command.
    const at = argv.indexOf('lockdep');
    const traces = argv.slice(at + 1).filter((w) => w === '-' || !w.startsWith('-'));
    const { lockdepCommand } = await import('../lockdep/trace/trace_cli.js');
    return lockdepCommand({ traces, all: a['all'] === true, json: a['json'] === true }, io);
  },
};
