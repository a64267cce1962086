/*
 * The `torture` command line (kvm.sh's flags), generated from the command table
 * (harness/commands/index.ts): the usage text, the yargs commands, the flags that take no value,
 * the unknown-command error and the dispatch all read it.
 *
 *   torture [options]              plan, run and recheck scenarios (kvm.sh)
 *   torture recheck DIR...         re-derive verdicts from a results directory (kvm-recheck.sh)
 *   torture lockdep TRACE.jsonl    run lockdep over a recorded lock trace
 *   torture selftest               lockdep's boot-time self-tests (lib/locking-selftest.c)
 *   torture again DIR              rerun a results directory with its configs and seed (kvm-again.sh)
 *   torture bench [FILTER]         lock fast-path benchmarks
 *   torture nightly, report, merge the nightly battery (torture.sh), its report, its shards
 *
 * Guarantees: EVERY value is checked before anything starts; bad input prints exactly one line
 * `torture: <what is wrong and what is expected>` and one usage hint on stderr, exit 2, never a
 * stack trace. Exit 0 = all runs succeeded, 1 = some run failed (or SIGTERM), 130 = SIGINT.
 */

import yargs from 'yargs';
import { COMMANDS } from '../commands/index.js';
import { usage, type Argv, type CliIo, type Command } from '../commands/command.js';
import { isTortureError } from '../errors.js';


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
const HELP_OPTION = { help: { type: 'boolean' } } as const;

/** The command selected by no word (a run): the table's first entry. */
const DEFAULT_COMMAND = COMMANDS[0] as Command;
const SUBCOMMANDS = COMMANDS.slice(1);

/** `--help`: every command's synopsis, then the paragraphs the commands add. */
export const USAGE = [
  ...COMMANDS.flatMap((c, i) => c.synopsis.map((l, j) => (j > 0 ? l : `${i === 0 ? 'Usage: ' : '       '}torture ${l}`))),
  ...COMMANDS.flatMap((c) => (c.help === undefined ? [] : ['', c.help])),
].join('\n');

async function parseArgs(argv: readonly string[]): Promise<Argv> {
  let y = yargs([...argv])
    .scriptName('torture')
    .version(false)
    .help(false)
    .exitProcess(false)
    .strict()
    .parserConfiguration({ 'camel-case-expansion': false });
  for (const c of COMMANDS) y = y.command(c.yargs, c.describe, (b) => b.options({ ...c.options, ...HELP_OPTION }));
  y = y.fail((msg: string | null, err: Error | null) => {
    throw usage((msg ?? err?.message ?? 'bad arguments').replace(/\s*\n\s*/g, ' '));
  });
  return (await y.parseAsync()) as Argv;
}

/**
 * Options that take no value (`--help` and the command's booleans): yargs would read
 * `--allcpus=foo` as false and run anyway. Per command, since a word may be a flag of one command
 * and take a value in another (`lockdep --json`, `bench --json FILE`).
 */
function flagOptions(c: Command): ReadonlySet<string> {
  return new Set([...Object.keys(HELP_OPTION), ...Object.entries(c.options).filter(([, o]) => o.type === 'boolean').map(([k]) => k)]);
}

function checkFlagsHaveNoValue(argv: readonly string[]): void {
  const flags = flagOptions(SUBCOMMANDS.find((c) => c.name === argv[0]) ?? DEFAULT_COMMAND);
  for (const arg of argv) {
    if (arg === '--') break;
    const m = /^--(?:no-)?([a-z-]+)=(.*)$/s.exec(arg);
    if (m !== null && flags.has(m[1] ?? '')) {
      throw usage(`Cannot use --${m[1] ?? ''} as 'it' must be given without a value: current value is ${arg}`);
    }
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const terminal = io === defaultIo;
  // Commands that parse their own (ordered) switches get everything after their word, untouched.
  const raw = SUBCOMMANDS.find((c) => c.rawArgs === true && c.name === argv[0]);
  if (raw !== undefined) return raw.handler({ _: [] }, { argv: argv.slice(1), io, terminal });
  checkFlagsHaveNoValue(argv);
  const a = await parseArgs(argv);
  if (a['help'] === true) {
    io.out(USAGE);
    return 0;
  }
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
    io.err(`torture: internal error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env['TORTURE_DEBUG'] !== undefined && e instanceof Error && e.stack !== undefined) io.err(e.stack);
    return 1;
  }
}
