/*
 * `torture selftest`: lockdep's boot-time self-tests (lib/locking-selftest.c,
 * harness/lockdep/selftest.ts). Exit 0 when every test passed.
 */

import type { Command } from './command.js';

export const selftest: Command = {
  name: 'selftest',
  yargs: 'selftest',
  describe: 'lockdep self-tests',
  synopsis: ['selftest'],
  about: `Run lockdep's boot-time self-tests (lib/locking-selftest.c): each locking pattern is played on
the validator, which must report exactly the expected ones. Prints the kernel's table of results.`,
  options: {},
  notes: 'Exit status: 0 every self-test passed, 1 one failed.',
  async handler(_a, { io }) {
    const { locking_selftest } = await import('../lockdep/selftest.js');
    return locking_selftest(io.out).failed === 0 ? 0 : 1;
  },
};
