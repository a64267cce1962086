/*
 * `--configs` lists as kvm.sh reads them: words separated by spaces or
 * commas, each `NAME` or `N*NAME` (N of 1–4 digits), `CFLIST` meaning the suite's default list
 * (also `N*CFLIST`); the option repeats and lists append. Repeats are named `TREE05`, `TREE05.2`,
 * `TREE05.3`, ... in the order the runs are scheduled (runNames()).
 *
 * Guarantees: every name matches kvm.sh's `^[^/.a-z]+$`; errors are TortureError('USAGE').
 * Does not check that a scenario file exists (scenario.ts does, naming the available ones).
 */

import { TortureError } from '../errors.js';
import { SCENARIO_NAME } from './fragment_parse.js';

const WORD = /^(?:([0-9]{1,4})\*)?(.+)$/;

/** Expand `--configs` values into scenario base names, repeats included, in list order. */
export function expandConfigs(values: readonly string[], cflist: () => readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const word of value.split(/[\s,]+/)) {
      if (word === '') continue;
      const m = WORD.exec(word);
      const count = m?.[1] !== undefined ? Number.parseInt(m[1], 10) : 1;
      const name = m?.[2] ?? word;
      if (!SCENARIO_NAME.test(name) || name.includes('*') || count < 1) {
        throw new TortureError(
          'USAGE',
          `Cannot use --configs as '${word}' must be NAME or N*NAME with NAME matching ^[^/.a-z]+$ and N from 1 to 9999: current value is ${value}`,
        );
      }
      const names = name === 'CFLIST' ? cflist() : [name];
      for (let i = 0; i < count; i++) out.push(...names);
    }
  }
  if (out.length === 0) {
    throw new TortureError('USAGE', `Cannot use --configs as 'the list' must name at least one scenario: current value is ${JSON.stringify(values.join(' '))}`);
  }
  return out;
}

/** Names for runs in schedule order: the first `TREE05` keeps its name, then `.2`, `.3`, ... */
export function runNames(baseNames: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return baseNames.map((b) => {
    const n = (seen.get(b) ?? 0) + 1;
    seen.set(b, n);
    return n === 1 ? b : `${b}.${n}`;
  });
}
