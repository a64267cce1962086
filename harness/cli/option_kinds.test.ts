// The shared option kinds' parses and messages, and the help columns derived from declarations.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { option, optionLines } from './cli_option.js';
import { groupSwitch } from './ordered_args.js';
import { DATESTAMP, existingFile, FLAG, intRange, RESULTS_ROOT, SEED, shard, text } from './option_kinds.js';

describe('option kinds: one parse, one check, one message', () => {
  it('parse the good values', () => {
    expect(SEED.parse('4294967295', '--seed')).toBe(4294967295);
    expect(intRange('N', 1).parse('3', '--cpus')).toBe(3);
    expect(DATESTAMP.parse('job/step', '--datestamp')).toBe('job/step');
    expect(RESULTS_ROOT.parse('results', '--results')).toBe(path.resolve('results'));
    expect(shard(64).parse('2/3', '--shard')).toEqual({ index: 2, count: 3 });
    expect(existingFile('FILE', 'a file').parse('package.json', '--ops')).toBe(path.resolve('package.json'));
  });

  it('refuse the bad ones with the standard line', () => {
    expect(() => SEED.parse('4294967296', '--seed')).toThrow("Cannot use --seed as 'N' must be an integer from 0 to 4294967295: current value is 4294967296");
    expect(() => intRange('N', 1, undefined, 'leave it out').parse('0', '--cpus')).toThrow("Cannot use --cpus as 'N' must be an integer >= 1 (leave it out): current value is 0");
    expect(() => DATESTAMP.parse('a/../b', '--datestamp')).toThrow(/^Cannot use --datestamp as 'NAME' must be a relative path/);
    expect(() => DATESTAMP.parse('', '--datestamp')).toThrow(/current value is \(empty\)$/);
    expect(() => RESULTS_ROOT.parse('', '--results')).toThrow("Cannot use --results as 'DIR' must be a directory path: current value is (empty)");
    expect(() => RESULTS_ROOT.parse('package.json/x', '--results')).toThrow(/must be a directory path: current value has a file at .*package\.json$/);
    expect(() => shard(64).parse('3/2', '--shard')).toThrow("Cannot use --shard as 'I/N' must be two integers with 1 <= I <= N <= 64: current value is 3/2");
  });

  it('help lines: the description at one column, a wide option on its own line, continuation lines', () => {
    const lines = optionLines({
      quiet: option(FLAG, 'print less'),
      'shutdown-grace': option(intRange('SECS', 0), 'first\nsecond'),
      jitter: option(text('X'), 'wide', { value: '"N [SLEEP [SPIN]]"' }),
    });
    expect(lines).toEqual([
      '  --quiet                   print less',
      '  --shutdown-grace SECS     first',
      '                            second',
      '  --jitter "N [SLEEP [SPIN]]"',
      '                            wide',
    ]);
  });
});

describe('ordered group switches', () => {
  it('--do-X on, --do-no-X and --no-X off, anything else not a switch', () => {
    const groups = ['seed', 'bench'] as const;
    expect(groupSwitch('--do-seed', groups)).toEqual({ word: 'seed', on: true });
    expect(groupSwitch('--do-no-bench', groups)).toEqual({ word: 'bench', on: false });
    expect(groupSwitch('--no-seed', groups)).toEqual({ word: 'seed', on: false });
    expect(groupSwitch('--do-frobnicate', groups)).toBeNull();
    expect(groupSwitch('--duration', groups)).toBeNull();
  });
});
