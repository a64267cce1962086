/*
 * One option of a `torture` command as the command declares it: its kind (option_kinds.ts), its
 * one-line description and whether it may be repeated. Everything else is derived from the
 * declarations, so that what a command accepts and what its --help says cannot drift apart: the
 * help lines (optionLines), what the parser is told (yargs `string`/`boolean`/`array`), the flags
 * that must not be given a value, and the typed value a handler reads (valueOf, valuesOf).
 */

import type { OptionKind } from './option_kinds.js';

export interface CliOption<T = unknown> {
  readonly kind: OptionKind<T>;
  /** One line for --help; a long one may continue on further lines (`\n`). */
  readonly help: string;
  /** How --help shows the value when it says more than the kind's (`rcu|lock`, `"LIST"`). */
  readonly value?: string;
  /** May be repeated; the values append (else the last one counts, as in kvm.sh). */
  readonly repeat?: boolean;
}

export type CliOptions = Readonly<Record<string, CliOption>>;

export function option<T>(kind: OptionKind<T>, help: string, more: { value?: string; repeat?: boolean } = {}): CliOption<T> {
  return { kind, help, ...more };
}

/** What the parser gives: option values by name, positionals in `_` and in the command's own names. */
export type Argv = Record<string, unknown> & { _: (string | number)[] };

/** A repeated single-valued option gives an array; kvm.sh keeps the last. */
export function last(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length === 0 ? undefined : String(v[v.length - 1]);
  return v === undefined ? undefined : String(v);
}

/** Every value of a repeatable option or positional, as strings. */
export function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** The checked value of option `name` (its last occurrence), or undefined when absent. */
export function valueOf<T>(a: Argv, name: string, o: CliOption<T>): T | undefined {
  const t = last(a[name]);
  return t === undefined ? undefined : o.kind.parse(t, `--${name}`);
}

/** Every checked value of a repeatable option `name`, in the order given. */
export function valuesOf<T>(a: Argv, name: string, o: CliOption<T>): T[] {
  return list(a[name]).map((t) => o.kind.parse(t, `--${name}`));
}

/** Whether option `name` is a flag (no value: `--name=x` is refused). */
export function isFlag(o: CliOption): boolean {
  return o.kind.value === null;
}

/** Where an option's description starts (two spaces, the option and its value, padded). */
const HELP_COLUMN = 28;

/**
 * The help lines of `options`: `  --name VALUE   description`, the description at one column; an
 * option too wide for it puts its description on the next line.
 */
export function optionLines(options: CliOptions): string[] {
  const out: string[] = [];
  for (const [name, o] of Object.entries(options)) {
    const value = o.value ?? o.kind.value;
    const left = `  --${name}${value === null ? '' : ` ${value}`}`;
    const [first = '', ...rest] = o.help.split('\n');
    if (left.length <= HELP_COLUMN) out.push(`${left.padEnd(HELP_COLUMN - 1)} ${first}`);
    else out.push(left, `${' '.repeat(HELP_COLUMN)}${first}`);
    for (const l of rest) out.push(`${' '.repeat(HELP_COLUMN)}${l}`);
  }
  return out;
}
