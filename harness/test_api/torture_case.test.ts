import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../test_support/error_of.js';
import { rerunCommand, tortureCase } from './torture_case.js';
import { findingsOf } from './verdict.js';

describe('tortureCase()', () => {
  it('is the CLI case: suite, module, scenario, duration, seed, and the options as Kconfig words', () => {
    const c = tortureCase('object', './my queue.mjs', { cpus: 3, duration: 7, hotplug: false, seed: 42, preemption: 'voluntary', bootargs: 'objecttorture.nops=100' });
    expect(c.seed).toBe(42);
    expect(c.caseArgs).toEqual([
      '--torture', 'object', '--ops', path.resolve('my queue.mjs'), '--configs', 'OBJ01', '--duration', '7s', '--seed', '42',
      '--kconfig', 'CONFIG_NR_CPUS=3 CONFIG_HOTPLUG_CPU=n CONFIG_PREEMPT_NONE=n CONFIG_PREEMPT_VOLUNTARY=y CONFIG_PREEMPT=n',
      '--bootargs', 'objecttorture.nops=100',
    ]);
    // Shell-quoted as the run's log line is: pasted into a shell, it is the same case.
    expect(rerunCommand(c)).toBe(
      `torture --torture object --ops '${path.resolve('my queue.mjs')}' --configs OBJ01 --duration 7s --seed 42 --kconfig 'CONFIG_NR_CPUS=3 CONFIG_HOTPLUG_CPU=n CONFIG_PREEMPT_NONE=n CONFIG_PREEMPT_VOLUNTARY=y CONFIG_PREEMPT=n' --bootargs objecttorture.nops=100`,
    );
    const lock = tortureCase('lock', new URL('file:///x/futex_lock.mjs'));
    expect(lock.caseArgs.slice(0, 8)).toEqual(['--torture', 'lock', '--ops', '/x/futex_lock.mjs', '--configs', 'LOCK01', '--duration', '10s']);
    expect(lock.seed).toBeGreaterThanOrEqual(0);
  });

  it('refuses bad options in one line', () => {
    expect(errorOf(() => tortureCase('lock', 'x.mjs', { cpus: 0 })).message).toBe('Cannot use cpus as it must be an integer >= 1: current value is 0');
    expect(errorOf(() => tortureCase('lock', 'x.mjs', { seed: -1 })).message).toBe('Cannot use seed as it must be an integer from 0 to 4294967295: current value is -1');
    expect(errorOf(() => tortureCase('lock', 'x.mjs', { preemption: 'rt' as 'none' })).message).toBe('Cannot use preemption as it must be none, voluntary, full: current value is rt');
  });
});

describe('findingsOf()', () => {
  it('is each splat of the console with the lines of its report, up to the next splat or End of test', () => {
    const console = [
      '[    1.000000] q-torture: Writes:  Total: 10  Max/Min: 5/5   Fail: 0 ',
      '[    2.000000] q-torture: !!! not linearizable: 10 operations by 2 tasks; minimal history: 1 operations after 3 (state [1]) (checked in 1 ms)',
      '[    2.000001] q-torture:     time us  task 0',
      '[    2.000002] q-torture:       0.000  dequeue() {',
      '[    2.000003] q-torture: Writes:  Total: 10  Max/Min: 5/5   Fail: 1 !!!',
      '[    2.000004] q-torture:--- End of test: FAILURE: nthreads=2',
    ].join('\n');
    expect(findingsOf(console)).toEqual([
      { title: 'q-torture: !!! not linearizable: 10 operations by 2 tasks; minimal history: 1 operations after 3 (state [1]) (checked in 1 ms)', excerpt: console.split('\n').slice(1, 4) },
      { title: 'q-torture: Writes:  Total: 10  Max/Min: 5/5   Fail: 1 !!!', excerpt: console.split('\n').slice(4, 5) },
    ]);
  });
});
