/*
 * The kinds of option value every `torture` command shares, each with its one parse, its one
 * check and its one message, so that `--datestamp` or `--results` mean the same in run, again,
 * nightly and merge. A kind turns the text of one option into its value or throws the standard
 * bad-input line (TortureError USAGE, exit 2):
 *
 *   Cannot use --FLAG as 'WHAT' must be RULE: current value is TEXT
 *
 * Kinds that need a model's numbers (--memory, --jitter) are built where those numbers live
 * (harness/run/) with kind() from here.
 */

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { TortureError } from '../errors.js';
import { parseDuration } from './duration.js';

export interface OptionKind<T> {
  /** How the help shows the value (`N`, `DIR`); null for a flag, which takes none. */
  readonly value: string | null;
  /** The value of `text` given to `flag` (`--seed`), or the kind's one-line error. */
  parse(text: string, flag: string): T;
}

/** The standard bad-input line for `flag` (one line, exit 2). */
export function badValue(flag: string, what: string, rule: string, text: string): TortureError {
  return new TortureError('USAGE', `Cannot use ${flag} as '${what}' must be ${rule}: current value is ${text === '' ? '(empty)' : text}`);
}

/** A kind whose check is a parse that returns null for text it refuses. */
export function kind<T>(value: string, what: string, rule: string, parse: (text: string) => T | null): OptionKind<T> {
  return {
    value,
    parse(text, flag) {
      const v = parse(text);
      if (v === null) throw badValue(flag, what, rule, text);
      return v;
    },
  };
}

/** A flag: present or not; it takes no value (the command line refuses `--flag=x`). */
export const FLAG: OptionKind<true> = { value: null, parse: () => true };

/** Any text (a filter, a list, a file the command checks itself); `value` names it in the help. */
export function text(value: string): OptionKind<string> {
  return { value, parse: (t) => t };
}

/**
 * An integer in [min, max] (max: none). `note` follows the rule in the message, to say what to
 * do instead (`--cpus 0`: leave it out).
 */
export function intRange(value: string, min: number, max?: number, note?: string): OptionKind<number> {
  const rule = (max === undefined ? `an integer >= ${min}` : `an integer from ${min} to ${max}`) + (note === undefined ? '' : ` (${note})`);
  return kind(value, value, rule, (t) => {
    if (!/^[0-9]+$/.test(t)) return null;
    const n = Number(t);
    return n >= min && (max === undefined || n <= max) ? n : null;
  });
}

/** kvm.sh's duration (`N[s|m|h|d]`, a bare number is minutes), in seconds; duration.ts has the rules. */
export const DURATION: OptionKind<number> = { value: 'D', parse: (t) => parseDuration(t) };

/** The width of torture_random's state: a seed is 0 .. 2^32-1. */
export const MAX_SEED = 0xffffffff;

/** `--seed N`: every random stream of a run (absent: the command draws one and prints it). */
export const SEED = intRange('N', 0, MAX_SEED);

/**
 * `--datestamp NAME`: the results subdirectory, a relative path of plain words (no `.`/`..`,
 * nothing empty), so that it can never leave the results root.
 */
export const DATESTAMP = kind('NAME', 'NAME', 'a relative path of [a-zA-Z0-9._-] words separated by /', (t) =>
  /^[a-zA-Z0-9._/-]+$/.test(t) && !t.startsWith('/') && !t.split('/').some((p) => p === '..' || p === '.' || p === '') ? t : null,
);

/**
 * `--results DIR`, the results root, as an absolute path. It may not exist yet (it is created),
 * but it must not be empty and nothing on its path may be a file: the stricter of the rules run
 * and nightly had, so a bad root is refused before anything starts, not when the first results
 * directory is made.
 */
export const RESULTS_ROOT: OptionKind<string> = {
  value: 'DIR',
  parse(t, flag) {
    if (t === '') throw badValue(flag, 'DIR', 'a directory path', t);
    const root = path.resolve(t);
    for (let d = root; ; d = path.dirname(d)) {
      if (existsSync(d)) {
        if (!statSync(d).isDirectory()) throw new TortureError('USAGE', `Cannot use ${flag} as '${t}' must be a directory path: current value has a file at ${d}`);
        break;
      }
      if (path.dirname(d) === d) break;
    }
    return root;
  },
};

/** An existing regular file, as an absolute path; `what` says which file (`OLD.json`, `FILE`). */
export function existingFile(value: string, rule: string): OptionKind<string> {
  return kind(value, value, rule, (t) => {
    const abs = path.resolve(t);
    return t !== '' && existsSync(abs) && statSync(abs).isFile() ? abs : null;
  });
}

/** Whether `d` is an existing directory (the check of every results-directory argument). */
export function isDirectory(d: string): boolean {
  return d !== '' && existsSync(d) && statSync(d).isDirectory();
}

/** `I/N`: the I-th of N parts, 1 <= I <= N <= max. */
export function shard(max: number): OptionKind<{ index: number; count: number }> {
  return kind('I/N', 'I/N', `two integers with 1 <= I <= N <= ${max}`, (t) => {
    const m = /^([0-9]+)\/([0-9]+)$/.exec(t);
    const index = Number(m?.[1]);
    const count = Number(m?.[2]);
    return m === null || count < 1 || count > max || index < 1 || index > count ? null : { index, count };
  });
}
