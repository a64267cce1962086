/*
 * The command table of `torture`: one entry per subcommand, in the order of the usage text. The
 * first entry is the default command (no subcommand word: a run). Everything the command line
 * shows or accepts is generated from this table (main.ts).
 */

import { again } from './again.js';
import { bench } from './bench.js';
import { coverage } from './coverage.js';
import type { Command } from './command.js';
import { lockdep } from './lockdep.js';
import { merge } from './merge.js';
import { nightly } from './nightly.js';
import { recheck } from './recheck.js';
import { report } from './report.js';
import { run } from './run.js';
import { selftest } from './selftest.js';

export const COMMANDS: readonly Command[] = [run, recheck, lockdep, selftest, again, bench, nightly, report, merge, coverage];
