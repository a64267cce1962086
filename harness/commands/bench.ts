/*
 * `torture bench [FILTER]`: the lock fast-path benchmarks (harness/bench/bench_main.ts). The
 * options are declared and their syntax checked here; their ranges, the run and its report are
 * bench_main's.
 */

import type { BenchArgv } from '../bench/bench_main.js';
import { last, option, valueOf, type Argv } from '../cli/cli_option.js';
import { intRange, text } from '../cli/option_kinds.js';
import type { Command } from './command.js';

const OPTIONS = {
  ops: option(text('FILE'), 'also bench your own lock-ops ES module (its `user.` rows)'),
  compare: option(text('OLD.json'), 'list the rows slower than an earlier bench.json beyond the noise'),
  time: option(intRange('MS', 0), 'milliseconds per uncontended row and per contended round\n(default 500, 1..60000)'),
  threads: option(intRange('N', 0), 'largest thread count of the contended rows (default 4, 2..32)'),
  runs: option(intRange('N', 0), 'fresh processes per uncontended or lockdep-trace row, median\nshown (default 3, 1..15)'),
  json: option(text('FILE'), 'write bench.json here (default: RESULTS/bench/DATESTAMP/bench.json)'),
  results: option(text('DIR'), 'results root (default: ./results)'),
} as const;

/** BenchArgv of harness/bench/bench_main.ts, from the `bench` command's options. */
function benchArgv(a: Argv): BenchArgv {
  const out: BenchArgv = {};
  const filter = last(a['filter']);
  if (filter !== undefined) out.filter = filter;
  for (const k of ['ops', 'compare', 'json', 'results'] as const) {
    const v = valueOf(a, k, OPTIONS[k]);
    if (v !== undefined) out[k] = v;
  }
  for (const k of ['time', 'threads', 'runs'] as const) {
    const v = valueOf(a, k, OPTIONS[k]);
    // --runs is bench_main's `processes`: fresh processes per uncontended or lockdep-trace row.
    if (v !== undefined) out[k === 'runs' ? 'processes' : k] = v;
  }
  return out;
}

export const bench: Command = {
  name: 'bench',
  yargs: 'bench [filter]',
  describe: 'lock benchmarks',
  synopsis: ['bench [FILTER] [--ops FILE] [--compare OLD.json] [--time MS] [--threads N]', '                              [--runs N] [--json FILE] [--results DIR]'],
  about: `Benchmark the locks' fast paths: uncontended lock/unlock pairs, contended throughput from 2 to
--threads threads, and lockdep's trace check. FILTER keeps the rows whose name contains one of
its comma-separated words (or matches one with \`*\`). Prints the tables; writes bench.json and
bench.txt under the results root.`,
  options: OPTIONS,
  notes: 'Exit status: 0 the bench ran (speed is reported, never judged), 2 bad input.',
  async handler(a) {
    const { runBench } = await import('../bench/bench_main.js');
    return runBench(benchArgv(a));
  },
};
