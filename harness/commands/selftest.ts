/*
 * `torture selftest`: lockdep's boot-time self-tests (lib/locking-selftest.c,
 * harness/lockdep/selftest.ts). Exit 0 when every test passed.
 */

import { locking_selftest } from '../lockdep/selftest.js';
import type { Command } from './command.js';

export const selftest: Command = {
  name: 'selftest',
  yargs: 'selftest',
  describe: 'lockdep self-tests',
  synopsis: ['selftest'],
  options: {},
  async handler(_a, { io }) {
    return locking_selftest(io.out).failed === 0 ? 0 : 1;
  },
};
