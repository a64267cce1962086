/*
 * `torture bench [FILTER]`: the lock fast-path benchmarks (harness/bench/bench_main.ts). Options
 * are checked here; the run and its report are bench_main's.
 */

import type { BenchArgv } from '../bench/bench_main.js';
import { last, usage, type Argv, type Command } from './command.js';

/** BenchArgv of harness/bench/bench_main.ts, from the `bench` command's options. */
function benchArgv(a: Argv): BenchArgv {
  const out: BenchArgv = {};
  const filter = last(a['filter']);
  if (filter !== undefined) out.filter = filter;
  for (const k of ['ops', 'compare', 'json', 'results'] as const) {
    const v = last(a[k]);
    if (v !== undefined) out[k] = v;
  }
  for (const k of ['time', 'threads', 'runs'] as const) {
    const v = last(a[k]);
    if (v !== undefined) {
      if (!/^[0-9]+$/.test(v)) throw usage(`Cannot run the bench as '--${k}' must be an integer: current value is ${v || '(empty)'}`);
      // --runs is bench_main's `processes`: fresh processes per uncontended or lockdep-trace row.
      out[k === 'runs' ? 'processes' : k] = Number.parseInt(v, 10);
    }
  }
  return out;
}

export const bench: Command = {
  name: 'bench',
  yargs: 'bench [filter]',
  describe: 'lock benchmarks',
  synopsis: ['bench [FILTER] [--ops FILE] [--compare OLD.json] [--time MS] [--threads N]', '                              [--runs N] [--json FILE] [--results DIR]'],
  options: {
    ops: { type: 'string' },
    compare: { type: 'string' },
    time: { type: 'string' },
    threads: { type: 'string' },
    runs: { type: 'string' },
    json: { type: 'string' },
    results: { type: 'string' },
  },
  async handler(a) {
    const { runBench } = await import('../bench/bench_main.js');
    return runBench(benchArgv(a));
  },
};
