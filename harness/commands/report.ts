/*
 * `torture report DIR`: a self-contained index.html and junit.xml for a results directory (harness/report/).
 * Like the other battery commands it parses its own arguments (rawArgs: harness/nightly/nightly_cli.ts).
 */

import type { Command } from './command.js';

export const report: Command = {
  name: 'report',
  yargs: 'report',
  describe: 'write index.html and junit.xml',
  synopsis: ['report DIR'],
  options: {},
  rawArgs: true,
  async handler(_a, { argv, io }) {
    const { reportMain } = await import('../nightly/nightly_cli.js');
    return reportMain(argv, io);
  },
};
