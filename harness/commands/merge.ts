/*
 * `torture merge DIR...`: the shards of one battery into one results directory (harness/nightly/).
 * Like the other battery commands it parses its own arguments (rawArgs: harness/nightly/nightly_cli.ts).
 */

import type { Command } from './command.js';

export const merge: Command = {
  name: 'merge',
  yargs: 'merge',
  describe: 'merge battery shards',
  synopsis: ['merge DIR... [--datestamp NAME] [--results DIR]'],
  options: {},
  rawArgs: true,
  async handler(_a, { argv, io }) {
    const { mergeMain } = await import('../nightly/nightly_cli.js');
    return mergeMain(argv, io);
  },
};
