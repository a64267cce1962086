/*
 * `torture nightly`: torture.sh's battery (harness/nightly/), with its own --help.
 * Its switches are ordered, torture.sh-style, so it parses its own arguments (rawArgs).
 */

import type { Command } from './command.js';

export const nightly: Command = {
  name: 'nightly',
  yargs: 'nightly',
  describe: 'run the nightly battery',
  synopsis: ['nightly [--duration D] [--do-X|--do-no-X]... [--shard I/N] ...  (torture nightly --help)'],
  options: {},
  rawArgs: true,
  async handler(_a, { argv, io }) {
    const { nightlyMain } = await import('../nightly/nightly_cli.js');
    return nightlyMain(argv, io);
  },
};
