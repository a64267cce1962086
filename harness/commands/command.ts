/*
 * One subcommand of `torture`: its word, its options (each declared once with its kind and its
 * one-line description, harness/cli/cli_option.ts), its lines of the usage text, its help
 * paragraphs and its handler. The command line (main.ts) is generated from the table in index.ts:
 * the general and per-command help, the parser's options, the unknown-command error and the
 * dispatch all read it, so a new subcommand is one file here and one line in index.ts (README.md).
 *
 * Handlers return the exit code; bad input is thrown as TortureError('USAGE') (main.ts prints the
 * one line and exits 2). Nothing here prints on its own except through `io`.
 */

import type { Argv, CliOptions } from '../cli/cli_option.js';
import { TortureError } from '../errors.js';


export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface CommandContext {
  /** The arguments as typed (after `torture`). */
  readonly argv: readonly string[];
  readonly io: CliIo;
  /** `io` writes to this process's own stdout (a live display may draw there if it is a terminal). */
  readonly terminal: boolean;
}

export interface Command {
  /** The word that selects it (`recheck`). The default command (a run) is selected by no word. */
  readonly name: string;
  /** The yargs command: `$0` for the default, else `<name> [positionals..]`. */
  readonly yargs: string;
  /** One line: what the command does. */
  readonly describe: string;
  /** Its lines of `Usage:`: the first after `torture `, continuation lines verbatim. */
  readonly synopsis: readonly string[];
  /** Its --help paragraph(s) between the usage and the options. */
  readonly about: string;
  /** The title of its options in --help (default `Options:`). */
  readonly optionsTitle?: string;
  /** Its options, in --help order (`--help` is added to every command). */
  readonly options: CliOptions;
  /** Its --help paragraph(s) after the options (what is not supported, exit status). */
  readonly notes?: string;
  /**
   * The command parses its own arguments in order (torture.sh's `--do-X`/`--do-no-X` switches do
   * not fit a parser that collects options): main.ts hands it everything after its word
   * untouched, as `ctx.argv`, with an empty `a`. Its `options` still make its --help.
   */
  readonly rawArgs?: boolean;
  handler(a: Argv, ctx: CommandContext): Promise<number>;
}

/** Bad command-line input: one line, exit 2. */
export function usage(message: string): TortureError {
  return new TortureError('USAGE', message);
}
