/*
 * `torture merge DIR...`: the shards of one battery into one results directory
 * (harness/nightly/merge_shards.ts does the merging). Its words are read in order like nightly's
 * (rawArgs): DIRs and its two options may come in any order.
 */

import path from 'node:path';
import { option } from '../cli/cli_option.js';
import { DATESTAMP, RESULTS_ROOT } from '../cli/option_kinds.js';
import { orderedArgs } from '../cli/ordered_args.js';
import { commandLineOf } from '../cli/shell_quote.js';
import { notResultsDir } from '../formats/results_files.js';
import { datestamp as kvmDatestamp } from '../lib/kvm_date.js';
import { usage, type Command } from './command.js';

const OPTIONS = {
  datestamp: option(DATESTAMP, 'results subdirectory (default: YYYY.MM.DD-HH.MM.SS-merged, .2 .3 ... when taken)'),
  results: option(RESULTS_ROOT, 'results root (default: ./results)'),
} as const;

export const merge: Command = {
  name: 'merge',
  yargs: 'merge',
  describe: 'merge battery shards',
  synopsis: ['merge DIR... [--datestamp NAME] [--results DIR]'],
  about: `Merge the results directories of the shards of one battery (torture nightly --shard I/N, same
options) into one new results directory: their jobs in battery order, the jobs of a shard not
given recorded as not run, then the battery's closing lines, index.html and junit.xml.`,
  options: OPTIONS,
  notes: 'Exit status: 0 every job met its expectation, 1 a job did not (or was not run), 2 bad input.',
  rawArgs: true,
  async handler(_a, { argv, io }) {
    const dirs: string[] = [];
    let ds: string | undefined;
    let root = path.resolve('results');
    for (const o of orderedArgs(argv)) {
      if (o.name === '--datestamp') ds = OPTIONS.datestamp.kind.parse(o.value(), o.name);
      else if (o.name === '--results') root = OPTIONS.results.kind.parse(o.value(), o.name);
      else if (o.name.startsWith('--')) throw usage(`Cannot merge as '${o.name}' must be one of --datestamp --results: current value is ${o.name}`);
      else {
        const why = notResultsDir(o.name);
        if (why !== null) throw usage(`Cannot merge as 'DIR' must be a results directory: current value is ${why}`);
        dirs.push(path.resolve(o.name));
      }
    }
    if (dirs.length === 0) throw usage(`Cannot merge as 'DIR...' must name at least one shard results directory: current value is (none)`);
    const { mergeShards } = await import('../nightly/merge_shards.js');
    return mergeShards(dirs, path.join(root, ds ?? `${kvmDatestamp(new Date())}-merged`), commandLineOf(['merge', ...argv]), io, new Date(), ds === undefined);
  },
};
