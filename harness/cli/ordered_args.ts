/*
 * The command line of a command whose switches apply in the order given (torture.sh's
 * `--do-none --do-seed`), which a parser that collects options into a record cannot keep: each
 * word in turn, `--opt=value` split, a value taken only when the option asks for one. A flag given
 * a value and an option missing its value are the standard one-line errors.
 */

import { TortureError } from '../errors.js';

export interface OrderedWord {
  /** The option (`--duration`) or the positional word as given. */
  readonly name: string;
  /** Take this option's value (inline `=value` or the next word). */
  value(): string;
}

/** Every word of `argv`, in order; an inline value nobody took is refused. */
export function* orderedArgs(argv: readonly string[]): Generator<OrderedWord> {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    let used = false;
    yield {
      name,
      value: () => {
        used = true;
        if (inline !== undefined) return inline;
        const v = argv[i + 1];
        if (v === undefined || v.startsWith('--')) throw new TortureError('USAGE', `Cannot use ${name} as 'its value' must follow it: current value is (none)`);
        i++;
        return v;
      },
    };
    if (!used && inline !== undefined) throw new TortureError('USAGE', `Cannot use ${name} as 'it' must be given without a value: current value is ${a}`);
  }
}

/**
 * torture.sh's group switches: `--do-X` switches group X on, `--do-no-X` and `--no-X` switch it
 * off; `words` are the groups. Null for any other word (the command says which words it takes).
 */
export function groupSwitch<W extends string>(name: string, words: readonly W[]): { readonly word: W; readonly on: boolean } | null {
  const g = /^--(do-no-|no-|do-)(.+)$/.exec(name);
  const word = words.find((w) => w === g?.[2]);
  return g === null || word === undefined ? null : { word, on: g[1] === 'do-' };
}
