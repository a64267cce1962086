import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { errorOf } from '../test_support/error_of.js';
import { expandConfigs, runNames } from './configs_list.js';
import { parseBootWords, parseCflist, parseKconfigFragment } from './fragment_parse.js';
import { KNOWN_OPTIONS, knownOption } from './known_options.js';
import { buildGuestSpec, loadScenario, type ScenarioOptions } from './scenario.js';
import { statIntervalFor } from './suite_defaults.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

let root: string;
function suiteDir(suite: string, files: Record<string, string>): string {
  const dir = path.join(root, suite);
  mkdirSync(dir, { recursive: true });
  for (const [f, t] of Object.entries(files)) writeFileSync(path.join(dir, f), t);
  return dir;
}
function opts(dir: string, over: Partial<ScenarioOptions> = {}): ScenarioOptions {
  return { configsDir: dir, shownDir: 'configs/rcu', suite: 'rcu', name: 'TREE05', durationSec: 600, bootargs: [], kconfigArgs: [], ...over };
}

const TREE05 = `CONFIG_SMP=y
CONFIG_NR_CPUS=8
CONFIG_PREEMPT_NONE=y
CONFIG_PREEMPT=n
#CHECK#CONFIG_TREE_RCU=y
CONFIG_HOTPLUG_CPU=y
# a comment
CONFIG_PROVE_LOCKING=y
#CHECK#CONFIG_PROVE_RCU=y
`;

beforeEach(() => {
  root = makeTestTempDir('config');
});

describe('parseKconfigFragment()', () => {
  it('keeps settings and #CHECK# lines apart, N means n, comments skipped', () => {
    const f = parseKconfigFragment('CONFIG_SMP=y\n#CHECK#CONFIG_TREE_RCU=y\n# x\nCONFIG_PREEMPT=N\n# CONFIG_HOTPLUG_CPU is not set\n', 'F', 'rcu');
    expect(f.settings.map((s) => `${s.key}=${s.value}`)).toEqual(['CONFIG_SMP=y', 'CONFIG_PREEMPT=n', 'CONFIG_HOTPLUG_CPU=n']);
    expect(f.checks).toEqual([{ key: 'CONFIG_TREE_RCU', value: 'y', where: 'F:2' }]);
  });

  it('names file:line, the key and what is known for an unknown key', () => {
    const e = errorOf(() => parseKconfigFragment('CONFIG_SMP=y\n\nCONFIG_BOGUS=y\n', 'configs/rcu/TREE05', 'rcu'));
    expect(e.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(e.message).toBe(
      "Cannot load configs/rcu/TREE05:3 as 'CONFIG_BOGUS' must be a Kconfig option the model knows (harness/config/known_options.ts): current value is CONFIG_BOGUS=y",
    );
  });

  it('names the expected value for a bad value', () => {
    const e = errorOf(() => parseKconfigFragment('CONFIG_SMP=maybe\n', 'X', 'rcu'));
    expect(e.code).toBe('CONFIG_BAD_VALUE');
    expect(e.message).toBe("Cannot load X:1 as 'CONFIG_SMP' must be y or n: current value is maybe");
  });

  it('refuses to set a derived symbol but accepts checking it', () => {
    expect(errorOf(() => parseKconfigFragment('CONFIG_TREE_RCU=y\n', 'X', 'rcu')).message).toMatch(/must only be checked/);
    expect(() => parseKconfigFragment('#CHECK#CONFIG_TREE_RCU=y\n', 'X', 'rcu')).not.toThrow();
  });

  it('rejects a line that is neither a setting nor a comment', () => {
    expect(errorOf(() => parseKconfigFragment('SMP=y\n', 'X', 'rcu')).code).toBe('CONFIG_BAD_FILE');
  });
});

describe('parseBootWords()', () => {
  it('reads words, strips # comments, checks values', () => {
    const w = parseBootWords('rcutree.gp_init_delay=3 # why\n# all comment\nrcupdate.rcu_self_test=1\n', 'B', 'rcu');
    expect(w.map((x) => x.word)).toEqual(['rcutree.gp_init_delay=3', 'rcupdate.rcu_self_test=1']);
  });

  it('accepts the planted-bug test switches (rcu suite), with their value types', () => {
    const words =
      'cpuhp.test_dead_early=1 rcutree.test_skip_migrate=1 slub.test_local_lock_irqs_on=y rcutree.test_lost_qs_cpu=3 ' +
      'rcutree.test_lock_inversion=1 rcutree.test_sleep_under_rcu_node=1 rcutree.test_broken_gp=2';
    expect(parseBootWords(words, 'B', 'rcu')).toHaveLength(7);
    expect(errorOf(() => parseBootWords('rcutree.test_skip_migrate=2', 'B', 'rcu')).message).toMatch(/'rcutree.test_skip_migrate' must be 0, 1, y or n/);
    expect(errorOf(() => parseBootWords('cpuhp.test_dead_early=1', 'B', 'lock')).message).toMatch(/must be used only with --torture rcu/);
  });

  it('knows the lock and slub parameters and their values', () => {
    expect(() => parseBootWords('locktorture.torture_type=percpu_rwsem_lock locktorture.nested_locks=8', 'B', 'lock')).not.toThrow();
    expect(errorOf(() => parseBootWords('locktorture.torture_type=no_such_lock', 'B', 'lock')).message).toMatch(
      /'locktorture.torture_type' must be one of lock_busted spin_lock .* percpu_rwsem_lock user: current value is no_such_lock/,
    );
    expect(errorOf(() => parseBootWords('slub.debug_key_under_slab_mutex=2', 'TREE05.boot', 'rcu')).message).toBe(
      "Cannot load TREE05.boot:1 as 'slub.debug_key_under_slab_mutex' must be one of 0 1: current value is 2",
    );
  });

  it('rejects a parameter of the other suite', () => {
    expect(errorOf(() => parseBootWords('rcutorture.nreaders=3', '--bootargs', 'lock', false)).message).toBe(
      "Cannot load --bootargs as 'rcutorture.nreaders' must be used only with --torture rcu: current value is rcutorture.nreaders=3 in the lock suite",
    );
  });
});

describe('known_options', () => {
  it('is one table with unique keys', () => {
    expect(new Set(KNOWN_OPTIONS.map((o) => o.key)).size).toBe(KNOWN_OPTIONS.length);
    expect(knownOption('rcutree.gp_preinit_delay')?.suites).toEqual(['rcu']);
  });
});

describe('--configs lists', () => {
  it('expands N*NAME, CFLIST, commas and repeated options', () => {
    expect(expandConfigs(['2*TREE05 LOCK01', 'A,B'], () => ['X'])).toEqual(['TREE05', 'TREE05', 'LOCK01', 'A', 'B']);
    expect(expandConfigs(['2*CFLIST'], () => ['X', 'Y'])).toEqual(['X', 'Y', 'X', 'Y']);
  });
  it('names repeats .2, .3 in order', () => {
    expect(runNames(['TREE05', 'TREE01', 'TREE05', 'TREE05'])).toEqual(['TREE05', 'TREE01', 'TREE05.2', 'TREE05.3']);
  });
  it('rejects names kvm.sh rejects', () => {
    for (const bad of ['tree05', 'A/B', 'X.2', '0*A', '12345*A']) expect(errorOf(() => expandConfigs([bad], () => [])).code).toBe('USAGE');
    expect(() => parseCflist('TREE01\nsrcu-t\n', 'CFLIST')).toThrow(/CFLIST:2/);
  });
});

describe('loadScenario()', () => {
  it('merges CFcommon, fragment and --kconfig and adds the rcu defaults', () => {
    const dir = suiteDir('rcu', { CFcommon: 'CONFIG_RCU_TORTURE_TEST=y\n', TREE05, 'TREE05.boot': 'rcutree.gp_init_delay=3\n' });
    const s = loadScenario(opts(dir, { kconfigArgs: ['CONFIG_RCU_FANOUT=4'] }));
    expect(s.kconfig).toMatchObject({ CONFIG_RCU_TORTURE_TEST: 'y', CONFIG_NR_CPUS: '8', CONFIG_RCU_FANOUT: '4' });
    expect(s.dotConfig['CONFIG_TREE_RCU']).toBe('y');
    expect(s.checks.map((c) => c.key)).toEqual(['CONFIG_TREE_RCU', 'CONFIG_PROVE_RCU']);
    expect(s.nrCpus).toBe(8);
    expect(s.notes).toEqual(['CPU-hotplug kernel, adding rcutorture onoff.']);
    expect(s.bootLine).toBe(
      'rcutree.gp_init_delay=3 rcutorture.onoff_interval=200 rcutorture.onoff_holdoff=1 rcutorture.n_barrier_cbs=4 rcutorture.stat_interval=15 rcutorture.shutdown_secs=600 rcutorture.test_no_idle_hz=1 rcutorture.verbose=1',
    );
    expect(Object.isFrozen(s) && Object.isFrozen(s.bootParams)).toBe(true);
  });

  it('derives the kernel\'s RCU as Kconfig does: TINY_RCU = !PREEMPT && !SMP (TINY01), else TREE_RCU (TREE09: SMP=n, PREEMPT=y)', () => {
    const TINY01 = 'CONFIG_SMP=n\nCONFIG_PREEMPT_NONE=y\nCONFIG_PREEMPT=n\n#CHECK#CONFIG_TINY_RCU=y\n#CHECK#CONFIG_RCU_STALL_COMMON=n\nCONFIG_PREEMPT_COUNT=n\n';
    const TREE09 = 'CONFIG_SMP=n\nCONFIG_NR_CPUS=1\nCONFIG_PREEMPT=y\n#CHECK#CONFIG_PREEMPT_RCU=y\n';
    const dir = suiteDir('rcu', { TINY01, TREE09 });
    const tiny = loadScenario(opts(dir, { name: 'TINY01' }));
    expect([tiny.dotConfig['CONFIG_TINY_RCU'], tiny.dotConfig['CONFIG_TREE_RCU'], tiny.dotConfig['CONFIG_RCU_STALL_COMMON']]).toEqual(['y', 'n', 'n']);
    expect(tiny.nrCpus).toBe(1);
    const tree = loadScenario(opts(dir, { name: 'TREE09' }));
    expect([tree.dotConfig['CONFIG_TINY_RCU'], tree.dotConfig['CONFIG_TREE_RCU'], tree.dotConfig['CONFIG_RCU_STALL_COMMON']]).toEqual(['n', 'y', 'y']);
  });

  it('keeps user values and skips onoff when the boot args mention it', () => {
    const dir = suiteDir('rcu', { TREE05 });
    const s = loadScenario(opts(dir, { durationSec: 10, bootargs: ['rcutorture.onoff_interval=50 rcutorture.n_barrier_cbs=0'] }));
    expect(s.notes).toEqual([]);
    expect(s.bootParams['rcutorture.onoff_interval']).toBe('50');
    expect(s.bootParams['rcutorture.onoff_holdoff']).toBeUndefined();
    expect(s.bootParams['rcutorture.n_barrier_cbs']).toBe('0');
    expect(s.bootParams['rcutorture.stat_interval']).toBe('2');
    expect(s.bootParams['rcutorture.shutdown_secs']).toBe('10');
  });

  it('uses the locktorture prefix and onoff only for hotplug kernels', () => {
    const dir = suiteDir('lock', { LOCK01: 'CONFIG_SMP=y\nCONFIG_NR_CPUS=4\n', LOCK02: 'CONFIG_SMP=y\nCONFIG_NR_CPUS=4\nCONFIG_HOTPLUG_CPU=y\n' });
    const o = { configsDir: dir, shownDir: 'configs/lock', suite: 'lock' as const, durationSec: 30 };
    const a = loadScenario(opts(dir, { ...o, name: 'LOCK01' }));
    expect(a.bootLine).toBe('locktorture.stat_interval=7 locktorture.shutdown_secs=30 locktorture.verbose=1');
    const b = loadScenario(opts(dir, { ...o, name: 'LOCK02' }));
    expect(b.notes).toEqual(['CPU-hotplug kernel, adding locktorture onoff.']);
    expect(b.bootParams['locktorture.onoff_interval']).toBe('200');
  });

  it('lowers NR_CPUS by maxcpus/nr_cpus and refuses more than 128', () => {
    const dir = suiteDir('rcu', { TREE05, BIG: 'CONFIG_SMP=y\nCONFIG_MAXSMP=y\n', UP: 'CONFIG_SMP=n\n' });
    expect(loadScenario(opts(dir, { bootargs: ['maxcpus=3'] })).nrCpus).toBe(3);
    expect(loadScenario(opts(dir, { name: 'BIG', bootargs: ['maxcpus=8 nr_cpus=43'] })).nrCpus).toBe(8);
    expect(loadScenario(opts(dir, { name: 'UP' })).nrCpus).toBe(1);
    expect(errorOf(() => loadScenario(opts(dir, { name: 'BIG' }))).message).toMatch(/must be from 1 to 128 CPUs per guest: current value is 8192/);
  });

  it('lists the available scenarios for an unknown one', () => {
    const dir = suiteDir('rcu', { TREE05, TREE01: 'CONFIG_SMP=n\n', CFLIST: 'TREE05\n' });
    expect(errorOf(() => loadScenario(opts(dir, { name: 'TREE99' }))).message).toBe(
      "Cannot run scenario as 'TREE99' must be a file in configs/rcu/ (one of: TREE01 TREE05): current value is TREE99",
    );
  });

  it('builds a GuestSpec', () => {
    const dir = suiteDir('rcu', { TREE05 });
    const s = loadScenario(opts(dir));
    const g = buildGuestSpec(s, { resdir: '/r/TREE05', shutdownGraceSec: 15 });
    expect(g).toMatchObject({ scenario: 'TREE05', suite: 'rcu', resdir: '/r/TREE05', nrCpus: 8, durationSec: 600, shutdownGraceSec: 15 });
    expect(g.bootLine).toBe(s.bootLine);
    expect('opsModule' in g).toBe(false);
  });

  it('stat_interval for short runs', () => {
    expect([1, 3, 10, 59, 60, 600].map(statIntervalFor)).toEqual([2, 2, 2, 14, 15, 15]);
  });
});
