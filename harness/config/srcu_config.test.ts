/*
 * The SRCU scenarios' options (configs/rcu/SRCU-*, configs/rcu/README.md "SRCU"): the kernel's
 * SRCU-N/P/T/U files load as they are; TINY_SRCU/TREE_SRCU are derived from SMP and PREEMPT;
 * SRCU-U's CONFIG_PREEMPT_COUNT=n is accepted and, as Kconfig does for a symbol without a
 * prompt, ignored; what the model lacks is refused with one clear line.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../test_support/error_of.js';
import { parseBootWords, parseKconfigFragment } from './fragment_parse.js';
import { loadScenario } from './scenario.js';

const CONFIGS = path.resolve(import.meta.dirname, '..', '..', 'configs', 'rcu');

function load(name: string): ReturnType<typeof loadScenario> {
  return loadScenario({ configsDir: CONFIGS, shownDir: 'configs/rcu', suite: 'rcu', name, durationSec: 30, bootargs: [], kconfigArgs: [] });
}

describe('SRCU scenarios', () => {
  it('SRCU-N/P are Tree SRCU on 4 and 8 CPUs, SRCU-T/U Tiny SRCU on one', () => {
    const n = load('SRCU-N');
    expect([n.nrCpus, n.dotConfig['CONFIG_TREE_SRCU'], n.dotConfig['CONFIG_TINY_SRCU']]).toEqual([4, 'y', 'n']);
    const p = load('SRCU-P');
    expect([p.nrCpus, p.dotConfig['CONFIG_TREE_SRCU'], p.bootParams['srcutree.big_cpu_lim']]).toEqual([8, 'y', '5']);
    for (const name of ['SRCU-T', 'SRCU-U']) {
      const t = load(name);
      expect([t.nrCpus, t.dotConfig['CONFIG_TINY_SRCU'], t.dotConfig['CONFIG_TREE_SRCU']], name).toEqual([1, 'y', 'n']);
      expect(t.checks.map((c) => c.key), name).toContain('CONFIG_TINY_SRCU');
    }
    // SRCU-T: DEBUG_ATOMIC_SLEEP selects PREEMPT_COUNT (its #CHECK# holds); SRCU-U sets it n.
    expect(load('SRCU-T').dotConfig['CONFIG_PREEMPT_COUNT']).toBe('y');
    expect(load('SRCU-U').dotConfig['CONFIG_PREEMPT_COUNT']).toBe('n');
  });

  it('a prompt-less symbol may be set (ignored); derived ones and what the model lacks are refused', () => {
    expect(() => parseKconfigFragment('CONFIG_PREEMPT_COUNT=y\n', 'X', 'rcu')).not.toThrow();
    expect(errorOf(() => parseKconfigFragment('CONFIG_TINY_SRCU=y\n', 'X', 'rcu')).message).toMatch(/must only be checked/);
    expect(errorOf(() => parseKconfigFragment('CONFIG_KPROBES=y\n', 'X', 'rcu')).message).toMatch(/'CONFIG_KPROBES' must be n \(the model has none\)/);
    expect(errorOf(() => parseBootWords('srcutree.small_contention_lim=10', 'B', 'rcu')).message).toMatch(/'srcutree.small_contention_lim' must be left unset: not modelled/);
    expect(errorOf(() => parseBootWords('srcutree.convert_to_big=2', 'B', 'rcu')).message).toMatch(/'srcutree.convert_to_big' must be one of 0 1 3/);
    expect(() => parseBootWords('srcutree.big_cpu_lim=5 srcutree.test_broken_flip=1 rcutorture.test_srcu_lockdep=1011', 'B', 'rcu')).not.toThrow();
  });
});
