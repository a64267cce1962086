import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COV_WORDS_PER_EXEC } from '../shm/layout.js';
import { isBadnessLine } from './console_lines.js';
import {
  COV,
  COVERAGE_COUNTERS,
  COVERAGE_POINT_ROWS,
  CPUHP_COV_STATES,
  COVERAGE_SLOTS,
  coverageExpected,
  coverageReachTarget,
  coverageSlotByName,
  REACH_TARGET,
  REACH_TARGET_LOCK_SLOWPATH,
  type CoverageFacts,
} from './coverage_points.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** parse-console.sh's other greps: a point name must not look like a verdict, a `ver:` line or a hotplug tag. */
const PARSE_CONSOLE = /FAILURE|SUCCESS|torture:.*ver:|_HOTPLUG:/;

describe('coverage points', () => {
  it('fit in an executor block, with unique names and dense ids', () => {
    expect(COVERAGE_COUNTERS).toBeLessThanOrEqual(COV_WORDS_PER_EXEC);
    const names = COVERAGE_SLOTS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const row of COVERAGE_POINT_ROWS) {
      const id = COV[row.name.replaceAll('.', '_') as keyof typeof COV];
      expect(COVERAGE_SLOTS[id]?.name).toBe(row.name);
      expect(coverageSlotByName(row.name)?.part).toBeNull();
    }
    expect(COVERAGE_SLOTS.filter((s) => s.part !== null).map((s) => s.name)).toContain('rcu.blkd_queued.leaf15');
  });

  it('never look like badness to console-badness.sh or parse-console.sh', () => {
    for (const s of COVERAGE_SLOTS) {
      expect(s.name).toMatch(/^[a-z_]+\.[a-z0-9_]+(\.[a-z0-9_]+)?$/);
      expect(isBadnessLine(`[    1.000000] coverage: ${s.name} 123 ${s.row.description}`), s.name).toBe(false);
      expect(PARSE_CONSOLE.test(`${s.name} ${s.row.description}`), s.name).toBe(false);
    }
  });

  it('expect a lock type\'s points only where that type is tortured, per-node counters never, cpuhp states by direction', () => {
    const lock = (tortureType: string): CoverageFacts => ({ suite: 'lock', tortureType, onoff: true, preempt: true, smp: true });
    const slot = (n: string) => coverageSlotByName(n)!;
    expect(coverageExpected(slot('rwsem.read_meets_writer'), lock('rwsem_lock'))).toBe(true);
    expect(coverageExpected(slot('rwsem.read_meets_writer'), lock('spin_lock'))).toBe(false);
    expect(coverageExpected(slot('spin.pv_kick'), lock('spin_lock'))).toBe(true);
    expect(coverageExpected(slot('cpuhp.teardown'), lock('spin_lock'))).toBe(true);
    expect(coverageExpected(slot('cpuhp.teardown'), { ...lock('spin_lock'), onoff: false })).toBe(false);
    expect(coverageExpected(slot('cpuhp.teardown.bringup_cpu'), lock('spin_lock'))).toBe(true);
    expect(coverageExpected(slot('cpuhp.teardown.rcutree_prep'), lock('spin_lock'))).toBe(false);
    const rcu: CoverageFacts = { suite: 'rcu', tortureType: 'rcu', onoff: false, preempt: true, smp: true };
    expect(coverageExpected(slot('rcu.blkd_queued'), rcu)).toBe(true);
    expect(coverageExpected(slot('rcu.blkd_queued.leaf0'), rcu)).toBe(false);
    expect(coverageExpected(slot('cpuhp.teardown.slub_dead'), { ...rcu, onoff: true })).toBe(true);
    expect(coverageExpected(slot('cpuhp.startup.slub_dead'), { ...rcu, onoff: true })).toBe(false);
    expect(coverageExpected(slot('rcu.fqs_round'), { ...rcu, tortureType: 'busted' })).toBe(false);
    expect(coverageExpected(slot('rcu.blkd_queued'), { ...rcu, preempt: false })).toBe(false);
    // One CPU without preemption is Tiny RCU: none of Tree's paths; one CPU with it is Tree (TREE09).
    expect(coverageExpected(slot('rcu.fqs_round'), { ...rcu, preempt: false, smp: false })).toBe(false);
    expect(coverageExpected(slot('rcu.fqs_round'), { ...rcu, preempt: true, smp: false })).toBe(true);
    expect(coverageExpected(slot('rcu.fqs_round'), { ...rcu, preempt: false, smp: true })).toBe(true);
  });
});

describe('cpuhp parts', () => {
  it('are the cpuhp states of kernels/cpu/hotplug.ts, in order', async () => {
    const { CPUHP_STATES } = await import('../../kernels/cpu/hotplug.js');
    expect(CPUHP_COV_STATES).toEqual(CPUHP_STATES.map((s) => s.replace(/^CPUHP_/, '').toLowerCase()));
  });
});

describe('reach targets (configs/<suite>/README.md, "Reach")', () => {
  const slot = (n: string) => coverageSlotByName(n)!;
  const lock = (tortureType: string): CoverageFacts => ({ suite: 'lock', tortureType, onoff: true, preempt: true, smp: true });
  const rcu = (onoff: boolean, preempt: boolean, smp = true): CoverageFacts => ({ suite: 'rcu', tortureType: 'rcu', onoff, preempt, smp });

  it('a lock slow-path point needs 1,000, any other expected point 100, an unexpected one nothing', () => {
    expect(coverageReachTarget(slot('rwsem.read_meets_writer'), lock('rwsem_lock'), 'LOCK03')).toBe(REACH_TARGET_LOCK_SLOWPATH);
    expect(coverageReachTarget(slot('spin.pv_kick'), lock('spin_lock'), 'LOCK01')).toBe(1000);
    expect(coverageReachTarget(slot('sched.migrate_lock_held'), lock('mutex_lock'), 'LOCK02')).toBe(REACH_TARGET);
    expect(coverageReachTarget(slot('cpuhp.teardown.bringup_cpu'), lock('mutex_lock'), 'LOCK02')).toBe(100);
    expect(coverageReachTarget(slot('rwsem.read_meets_writer'), lock('spin_lock'), 'LOCK01')).toBeNull();
    expect(coverageReachTarget(slot('rcu.blkd_queued.leaf0'), rcu(true, true), 'TREE01')).toBeNull();
  });

  it('a declared point needs nothing where declared, and its target elsewhere (a repeat is its scenario)', () => {
    expect(coverageReachTarget(slot('rcu.cb_migrate'), rcu(true, false), 'TREE05')).toBeNull();
    // One CPU (TREE09): a migration or a partial slab is not expected at all (CoverageFacts.smp).
    expect(coverageReachTarget(slot('sched.migrate_rcu_reader'), rcu(false, true, false), 'TREE09')).toBeNull();
    expect(coverageReachTarget(slot('sched.migrate_rcu_reader'), rcu(false, true), 'TREE02')).toBe(100);
    expect(coverageReachTarget(slot('slab.partial_add'), rcu(false, true, false), 'TREE09')).toBeNull();
    expect(coverageReachTarget(slot('slab.partial_add'), rcu(true, false), 'TREE05')).toBe(100);
  });

  it("a declaration with a lower target holds the point to it there: LOCK05's PI boosts and LOCK03's reader wake-ups need 100, LOCK09's boosts 1,000", () => {
    expect(coverageReachTarget(slot('rtmutex.pi_boost'), lock('rtmutex_lock'), 'LOCK05')).toBe(REACH_TARGET);
    expect(coverageReachTarget(slot('rtmutex.pi_deboost'), lock('rtmutex_lock'), 'LOCK05.2')).toBe(REACH_TARGET);
    expect(coverageReachTarget(slot('rtmutex.pi_boost'), lock('rtmutex_lock'), 'LOCK09')).toBe(REACH_TARGET_LOCK_SLOWPATH);
    expect(coverageReachTarget(slot('rtmutex.slowlock'), lock('rtmutex_lock'), 'LOCK05')).toBe(REACH_TARGET_LOCK_SLOWPATH);
    expect(coverageReachTarget(slot('rwsem.up_read_wake'), lock('rwsem_lock'), 'LOCK03')).toBe(REACH_TARGET);
    expect(coverageReachTarget(slot('rwsem.read_meets_writer'), lock('rwsem_lock'), 'LOCK03')).toBe(REACH_TARGET_LOCK_SLOWPATH);
  });

  it('every declaration says why, and applies somewhere its point is expected (none is dead)', () => {
    const facts: CoverageFacts[] = [];
    for (const suite of ['rcu', 'lock'])
      for (const tortureType of ['rcu', 'busted', 'srcu', 'srcud', 'spin_lock', 'rw_lock', 'mutex_lock', 'rwsem_lock', 'percpu_rwsem_lock', 'rtmutex_lock', 'tasks', 'tasks-tracing'])
        for (const onoff of [false, true]) for (const preempt of [false, true]) for (const smp of [false, true]) facts.push({ suite, tortureType, onoff, preempt, smp });
    const declared = COVERAGE_SLOTS.filter((s) => s.part === null && s.row.unreachable !== undefined);
    expect(declared.length).toBeGreaterThan(0);
    for (const s of declared) {
      expect(s.row.unreachable?.why.length, s.name).toBeGreaterThan(20);
      const live = facts.some((f) => ['TREE01', 'TREE05', 'TREE09', 'SRCU-N', 'SRCU-T', 'LOCK01', 'LOCK03', 'LOCK05', 'TASKS01', 'TRACE01'].some((scenario) => s.row.unreachable?.where(f, scenario) === true && coverageExpected(s, f)));
      expect(live, s.name).toBe(true);
    }
  });

  it("a declaration's why gives the reason and no figure; the suite README's Reach section names the point and keeps the numbers", () => {
    // One source of truth: counts, rates and measurements live in configs/<suite>/README.md, "Reach".
    // A digit attached to a name (LOCK03, long_hold=1, HZ/10) is a name, not a figure.
    const figure = /(?<![\w=/])\d/;
    const reach = (suite: string): string => {
      const text = readFileSync(path.join(ROOT, 'configs', suite, 'README.md'), 'utf8');
      const at = text.indexOf('\n## Reach\n');
      expect(at, suite).toBeGreaterThan(0);
      const end = text.indexOf('\n## ', at + 1);
      return text.slice(at, end < 0 ? undefined : end);
    };
    const sections = { lock: reach('lock'), rcu: reach('rcu') };
    const declared = COVERAGE_SLOTS.filter((s) => s.part === null && s.row.unreachable !== undefined);
    expect(declared.length).toBeGreaterThan(0);
    for (const { row } of declared) {
      expect(row.unreachable?.why, row.name).not.toMatch(figure);
      expect(sections[row.subsystem === 'lock' ? 'lock' : 'rcu'], row.name).toContain(row.name);
    }
  });
});
