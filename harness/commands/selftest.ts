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
  options: {},
  async handler(_a, { io }) {
    const { locking_selftest } = await import('../lockdep/selftest.js');
    return locking_selftest(io.out).failed === 0 ? 0 : 1;
  },
};
