import { describe, expect, it } from 'vitest';
import { COV_WORDS_PER_EXEC } from '../shm/layout.js';
import { isBadnessLine } from './console_lines.js';
import { COV, COVERAGE_COUNTERS, COVERAGE_POINT_ROWS, CPUHP_COV_STATES, COVERAGE_SLOTS, coverageExpected, coverageSlotByName, type CoverageFacts } from './coverage_points.js';

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
    const lock = (tortureType: string): CoverageFacts => ({ suite: 'lock', tortureType, onoff: true, preempt: true });
    const slot = (n: string) => coverageSlotByName(n)!;
    expect(coverageExpected(slot('rwsem.read_meets_writer'), lock('rwsem_lock'))).toBe(true);
    expect(coverageExpected(slot('rwsem.read_meets_writer'), lock('spin_lock'))).toBe(false);
    expect(coverageExpected(slot('spin.pv_kick'), lock('spin_lock'))).toBe(true);
    expect(coverageExpected(slot('cpuhp.teardown'), lock('spin_lock'))).toBe(true);
    expect(coverageExpected(slot('cpuhp.teardown'), { ...lock('spin_lock'), onoff: false })).toBe(false);
    expect(coverageExpected(slot('cpuhp.teardown.bringup_cpu'), lock('spin_lock'))).toBe(true);
    expect(coverageExpected(slot('cpuhp.teardown.rcutree_prep'), lock('spin_lock'))).toBe(false);
    const rcu: CoverageFacts = { suite: 'rcu', tortureType: 'rcu', onoff: false, preempt: true };
    expect(coverageExpected(slot('rcu.blkd_queued'), rcu)).toBe(true);
    expect(coverageExpected(slot('rcu.blkd_queued.leaf0'), rcu)).toBe(false);
    expect(coverageExpected(slot('cpuhp.teardown.slub_dead'), { ...rcu, onoff: true })).toBe(true);
    expect(coverageExpected(slot('cpuhp.startup.slub_dead'), { ...rcu, onoff: true })).toBe(false);
    expect(coverageExpected(slot('rcu.fqs_round'), { ...rcu, tortureType: 'busted' })).toBe(false);
    expect(coverageExpected(slot('rcu.blkd_queued'), { ...rcu, preempt: false })).toBe(false);
  });
});

describe('cpuhp parts', () => {
  it('are the cpuhp states of kernels/cpu/hotplug.ts, in order', async () => {
    const { CPUHP_STATES } = await import('../../kernels/cpu/hotplug.js');
    expect(CPUHP_COV_STATES).toEqual(CPUHP_STATES.map((s) => s.replace(/^CPUHP_/, '').toLowerCase()));
  });
});
