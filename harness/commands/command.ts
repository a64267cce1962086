/*
 * One subcommand of `torture`: its word, its yargs options, its lines of the usage text and its
 * handler. The command line (harness/run/cli.ts) is generated from the table in index.ts: the
 * usage text, the yargs commands, the unknown-command error and the dispatch all read it, so a new
 * subcommand is one file here and one line in index.ts (see README.md here).
 *
 * Handlers return the exit code; bad input is thrown as TortureError('USAGE') (cli.ts prints the
 * one line and exits 2). Nothing here prints on its own except through `io`.
 */

import type { Options } from 'yargs';
import { TortureError } from '../errors.js';

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** What yargs parsed: option values by name, positionals in `_` and in the command's own names. */
export type Argv = Record<string, unknown> & { _: (string | number)[] };

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
  /** One line for yargs. */
  readonly describe: string;
  /** Its lines of `Usage:`: the first after `torture `, continuation lines verbatim. */
  readonly synopsis: readonly string[];
  /** Its options (`--help` is added to every command). */
  readonly options: Readonly<Record<string, Options>>;
  /**
   * The command parses its own arguments (torture.sh's ordered `--do-X`/`--do-no-X` switches do
   * not fit yargs): cli.ts hands it everything after its word untouched, as `ctx.argv`, with an
   * empty `a`. Its `options` are then unused.
   */
  readonly rawArgs?: boolean;
  /** A paragraph for `--help` after the synopses, if the command has more to say. */
  readonly help?: string;
  handler(a: Argv, ctx: CommandContext): Promise<number>;
}

/** yargs gives an array when a single-valued option is repeated; kvm.sh keeps the last. */
export function last(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length === 0 ? undefined : String(v[v.length - 1]);
  return v === undefined ? undefined : String(v);
}

/** Every value of a repeatable option or positional, as strings. */
export function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** Bad command-line input: one line, exit 2. */
export function usage(message: string): TortureError {
  return new TortureError('USAGE', message);
}

/** A handler's result as an exit code (anything but an integer is success). */
export function exitCodeOf(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) ? v : 0;
}
