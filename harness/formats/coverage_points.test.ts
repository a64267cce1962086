import { describe, expect, it } from 'vitest';
import { COV_WORDS_PER_EXEC } from '../shm/layout.js';
import { isBadnessLine } from './console_lines.js';
import { COV, COVERAGE_COUNTERS, COVERAGE_POINT_ROWS, COVERAGE_SLOTS, coverageExpected, coverageSlotByName, type CoverageFacts } from './coverage_points.js';

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
      expect(coverageSlotByName(row.name)?.node).toBeNull();
    }
    expect(COVERAGE_SLOTS.filter((s) => s.node !== null).map((s) => s.name)).toContain('rcu.blkd_queued.n7');
  });

  it('never look like badness to console-badness.sh or parse-console.sh', () => {
    for (const s of COVERAGE_SLOTS) {
      expect(s.name).toMatch(/^[a-z_]+\.[a-z0-9_]+(\.n\d+)?$/);
      expect(isBadnessLine(`[    1.000000] coverage: ${s.name} 123 ${s.row.description}`), s.name).toBe(false);
      expect(PARSE_CONSOLE.test(`${s.name} ${s.row.description}`), s.name).toBe(false);
    }
  });

  it('expect a lock type\'s points only where that type is tortured, per-node counters never', () => {
    const lock = (tortureType: string): CoverageFacts => ({ suite: 'lock', tortureType, onoff: true, preempt: true });
    const slot = (n: string) => coverageSlotByName(n)!;
    expect(coverageExpected(slot('rwsem.read_meets_writer'), lock('rwsem_lock'))).toBe(true);
    expect(coverageExpected(slot('rwsem.read_meets_writer'), lock('spin_lock'))).toBe(false);
    expect(coverageExpected(slot('spin.pv_kick'), lock('spin_lock'))).toBe(true);
    expect(coverageExpected(slot('cpuhp.down'), lock('spin_lock'))).toBe(true);
    expect(coverageExpected(slot('cpuhp.down'), { ...lock('spin_lock'), onoff: false })).toBe(false);
    const rcu: CoverageFacts = { suite: 'rcu', tortureType: 'rcu', onoff: false, preempt: true };
    expect(coverageExpected(slot('rcu.blkd_queued'), rcu)).toBe(true);
    expect(coverageExpected(slot('rcu.blkd_queued.n0'), rcu)).toBe(false);
    expect(coverageExpected(slot('rcu.blkd_queued'), { ...rcu, preempt: false })).toBe(false);
  });
});
