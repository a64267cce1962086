/*
 * The `torture` command line (kvm.sh's flags), generated from the command table (index.ts): the
 * help texts (help_text.ts), the parser's options, the flags that take no value, the
 * unknown-command error and the dispatch all read it. It sits here, beside the table, because it
 * is made from it: harness/run/ (the driver) never imports a command.
 *
 *   torture [options]              plan, run and recheck scenarios (kvm.sh)
 *   torture CMD [ARGS]             a subcommand of the table (recheck, lockdep, selftest, again,
 *                                  bench, nightly, report, merge)
 *   torture help [CMD]             the general help, or CMD's own (= torture CMD --help, CMD -h)
 *   torture --version              the package version
 *
 * Guarantees: EVERY value is checked before anything starts; bad input prints exactly one line
 * `torture: <what is wrong and what is expected>` and one usage hint on stderr, exit 2, never a
 * stack trace. Exit 0 = all runs succeeded, 1 = some run failed (or SIGTERM), 130 = SIGINT.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import yargs, { type Options } from 'yargs';
import { isFlag, type Argv, type CliOption } from '../cli/cli_option.js';
import { isTortureError } from '../errors.js';
import { repoRoot } from '../lib/repo_root.js';
import { isWriteFailure } from '../lib/write_file_atomic.js';
import { usage, type CliIo, type Command } from './command.js';
import { commandHelp, generalHelp } from './help_text.js';
import { COMMANDS } from './index.js';

// A closed stdout (`torture ... | head`) must not kill a run that still owns guests and results.
let stdoutBroken = false;
const defaultIo: CliIo = {
  out: (l) => {
    if (stdoutBroken) return;
    process.stdout.write(l + '\n');
  },
  err: (l) => process.stderr.write(l + '\n'),
};

const USAGE_HINT = "Try 'torture --help' for usage.";

/** The command selected by no word (a run): the table's first entry. */
const DEFAULT_COMMAND = COMMANDS[0] as Command;
const SUBCOMMANDS = COMMANDS.slice(1);

/** What the parser is told about a declared option. */
function yargsOption(o: CliOption): Options {
  return isFlag(o) ? { type: 'boolean' } : { type: 'string', ...(o.repeat === true ? { array: true } : {}) };
}

async function parseArgs(argv: readonly string[]): Promise<Argv> {
  let y = yargs([...argv])
    .scriptName('torture')
    .version(false)
    .help(false)
    .exitProcess(false)
    .strict()
    .parserConfiguration({ 'camel-case-expansion': false });
  for (const c of COMMANDS) {
    const options = Object.fromEntries(Object.entries(c.options).map(([k, o]) => [k, yargsOption(o)]));
    y = y.command(c.yargs, c.describe, (b) => b.options({ ...options, help: { type: 'boolean' } }));
  }
  y = y.fail((msg: string | null, err: Error | null) => {
    throw usage((msg ?? err?.message ?? 'bad arguments').replace(/\s*\n\s*/g, ' '));
  });
  return (await y.parseAsync()) as Argv;
}

/**
 * Options that take no value (`--help` and the command's flags): yargs would read
 * `--allcpus=foo` as false and run anyway. Per command, since a word may be a flag of one command
 * and take a value in another (`lockdep --json`, `bench --json FILE`).
 */
function checkFlagsHaveNoValue(c: Command, argv: readonly string[]): void {
  const flags = new Set(['help', ...Object.entries(c.options).filter(([, o]) => isFlag(o)).map(([k]) => k)]);
  for (const arg of argv) {
    if (arg === '--') break;
    const m = /^--(?:no-)?([a-z-]+)=(.*)$/s.exec(arg);
    if (m !== null && flags.has(m[1] ?? '')) {
      throw usage(`Cannot use --${m[1] ?? ''} as 'it' must be given without a value: current value is ${arg}`);
    }
  }
}

/** Whether the words of a command ask for its help (`--help` or `-h` before any `--`). */
function asksHelp(words: readonly string[]): boolean {
  const end = words.indexOf('--');
  return (end === -1 ? words : words.slice(0, end)).some((w) => w === '--help' || w === '-h');
}

function helpOf(c: Command): string {
  return c === DEFAULT_COMMAND ? generalHelp(COMMANDS) : commandHelp(c);
}

/** `torture help [CMD]`. */
function helpCommand(words: readonly string[]): string {
  const [word, ...extra] = words;
  // `help run`: the run is the default command, and its help is the general one.
  if (word === undefined || (word === DEFAULT_COMMAND.name && extra.length === 0)) return generalHelp(COMMANDS);
  const c = SUBCOMMANDS.find((x) => x.name === word);
  if (c === undefined || extra.length > 0) {
    throw usage(`Cannot show help as 'CMD' must be one of run ${SUBCOMMANDS.map((x) => x.name).join(' ')}: current value is ${words.join(' ')}`);
  }
  return commandHelp(c);
}

/** The package version (package.json's, the one npm installed). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return String(pkg.version);
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const terminal = io === defaultIo;
  if (argv.length === 1 && argv[0] === '--version') {
    io.out(`torture ${packageVersion()}`);
    return 0;
  }
  if (argv[0] === 'help') {
    io.out(helpCommand(argv.slice(1)));
    return 0;
  }
  const named = SUBCOMMANDS.find((c) => c.name === argv[0]);
  const selected = named ?? DEFAULT_COMMAND;
  const words = named === undefined ? argv : argv.slice(1);
  checkFlagsHaveNoValue(selected, words);
  if (asksHelp(words)) {
    io.out(helpOf(selected));
    return 0;
  }
  // Commands that parse their own (ordered) switches get everything after their word, untouched.
  if (named?.rawArgs === true) return named.handler({ _: [] }, { argv: words, io, terminal });
  const a = await parseArgs(argv);
  const word = a._[0];
  const ctx = { argv, io, terminal };
  if (word === undefined) return DEFAULT_COMMAND.handler(a, ctx);
  const cmd = SUBCOMMANDS.find((c) => c.name === String(word));
  if (cmd === undefined) {
    throw usage(`Cannot run as '${String(word)}' must be one of ${SUBCOMMANDS.map((c) => c.name).join(' ')}: current value is ${String(word)}`);
  }
  return cmd.handler(a, ctx);
}

/** Entry point: returns the exit code; never throws. */
export async function main(argv: readonly string[] = process.argv.slice(2), io: CliIo = defaultIo): Promise<number> {
  if (io === defaultIo) {
    process.stdout.on('error', () => {
      stdoutBroken = true;
    });
  }
  try {
    return await dispatch(argv, io);
  } catch (e) {
    if (isTortureError(e)) {
      io.err(`torture: ${e.message.replace(/\s*\n\s*/g, ' ')}`);
      io.err(USAGE_HINT);
      return 2;
    }
    // A results file that could not be written (a full disk): one plain line, the run failed.
    if (isWriteFailure(e)) {
      io.err(`torture: ${e.message}`);
      return 1;
    }
    io.err(`torture: internal error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env['TORTURE_DEBUG'] !== undefined && e instanceof Error && e.stack !== undefined) io.err(e.stack);
    return 1;
  }
}
