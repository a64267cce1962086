/*
 * The help texts, generated from the command table (index.ts) and each command's declarations:
 * `torture CMD --help` (= `torture help CMD`, `torture CMD -h`) is that command's usage, its
 * paragraphs and its options; `torture --help` (= `torture help`) is every command's usage line
 * followed by the run's own help (the run is the command selected by no word).
 */

import { optionLines } from '../cli/cli_option.js';
import { FLAG } from '../cli/option_kinds.js';
import type { Command } from './command.js';

/** Every command has --help (main.ts answers it before the command is parsed). */
const HELP_OPTION = { help: { kind: FLAG, help: 'this text' } } as const;

/** A command's usage lines, the first after `prefix` + `torture `. */
function synopsisLines(c: Command, prefix: string): string[] {
  return c.synopsis.map((l, j) => (j > 0 ? l : `${prefix}torture ${l}`));
}

/** A command's help after its usage: paragraphs, options (with --help), notes. */
function body(c: Command): string[] {
  return [
    c.about,
    '',
    c.optionsTitle ?? 'Options:',
    ...optionLines({ ...c.options, ...HELP_OPTION }),
    ...(c.notes === undefined ? [] : ['', c.notes]),
  ];
}

/** `torture CMD --help`. */
export function commandHelp(c: Command): string {
  return [...synopsisLines(c, 'Usage: '), '', ...body(c)].join('\n');
}

/** `torture --help`: every command's usage, then the default command's (the run's) help. */
export function generalHelp(commands: readonly Command[]): string {
  const [run, ...rest] = commands;
  if (run === undefined) return '';
  return [
    ...synopsisLines(run, 'Usage: '),
    ...rest.flatMap((c) => synopsisLines(c, '       ')),
    '',
    ...body(run),
    '',
    `Each command's own options: torture help CMD, torture CMD --help (CMD: ${rest.map((c) => c.name).join(' ')}).`,
  ].join('\n');
}
