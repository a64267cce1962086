import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BADNESS_KINDS, isBadnessLine } from './console_lines.js';
import { coverageBlockLines, isCoverageLine, parseCoverageBlock } from './coverage_block.js';
import { COVERAGE_SLOTS, type CoverageFacts } from './coverage_points.js';

const LOCK03: CoverageFacts = { suite: 'lock', tortureType: 'rwsem_lock', onoff: true, preempt: true, smp: true };
const TREE03: CoverageFacts = { suite: 'rcu', tortureType: 'rcu', onoff: true, preempt: true, smp: true };
const stamp = (l: string): string => `[   30.412345] ${l}`;

/** Blocks with every point hot, cold and unexpected: each line kind the block can print. */
function everyKindOfLine(): string[] {
  const hot = COVERAGE_SLOTS.map((_, i) => 1000 + i);
  const cold = COVERAGE_SLOTS.map(() => 0);
  return [...coverageBlockLines(TREE03, hot), ...coverageBlockLines(TREE03, cold), ...coverageBlockLines(LOCK03, hot), ...coverageBlockLines(LOCK03, cold)].map(stamp);
}

describe('the coverage block', () => {
  it('reads back what it printed: counts, expected points, facts', () => {
    const counts = COVERAGE_SLOTS.map((s, i) => (s.name.startsWith('rwsem.') ? 0 : i * 7));
    const lines = ['[    1.000000] rcu-torture: noise', ...coverageBlockLines(LOCK03, counts).map(stamp), '[   30.500000] reboot: Power down'];
    const b = parseCoverageBlock(lines);
    expect(b?.facts).toEqual(LOCK03);
    expect(Object.keys(b?.counts ?? {})).toHaveLength(COVERAGE_SLOTS.length);
    expect(b?.counts['cpuhp.teardown']).toBe(counts[COVERAGE_SLOTS.findIndex((s) => s.name === 'cpuhp.teardown')]);
    expect(b?.expected).toContain('rwsem.read_meets_writer');
    expect(b?.expected).not.toContain('spin.pv_kick');
    expect(lines).toContain(stamp('coverage: rwsem.read_meets_writer 0 cold'));
    expect(lines[1]).toMatch(/coverage: begin points=\d+ expected=\d+ cold=7 suite=lock torture_type=rwsem_lock onoff=1 preempt=1 smp=1$/);
    // A block printed before `smp=` existed reads as SMP.
    expect(parseCoverageBlock([lines[1]?.replace(/ smp=1$/, '') ?? '', 'coverage: end'])?.facts.smp).toBe(true);
  });

  it('tells its lines from the rest of a console (the JUnit tail leaves them out)', () => {
    expect(everyKindOfLine().every(isCoverageLine)).toBe(true);
    expect(isCoverageLine('coverage: end')).toBe(true);
    expect(isCoverageLine('[   30.000001] reboot: Power down')).toBe(false);
    expect(isCoverageLine('[    2.000000] rcu-torture: coverage: x')).toBe(false);
  });

  it('is absent from a console cut before its end line', () => {
    const lines = coverageBlockLines(TREE03, []).map(stamp);
    expect(parseCoverageBlock(lines.slice(0, -1))).toBeNull();
    expect(parseCoverageBlock([])).toBeNull();
  });

  it('never looks like badness to console-badness.sh or parse-console.sh', () => {
    for (const l of everyKindOfLine()) {
      expect(isBadnessLine(l), l).toBe(false);
      for (const k of BADNESS_KINDS) if (k.re !== null) expect(k.re.test(l), `${k.key}: ${l}`).toBe(false);
      expect(/FAILURE|SUCCESS|torture:.*ver:|_HOTPLUG:|End of test/.test(l), l).toBe(false);
    }
  });

  const scripts = process.env['TORTURE_KVM_SCRIPTS'];
  const badness = path.join(scripts ?? '', 'bin', 'console-badness.sh');
  it.skipIf(scripts === undefined || !existsSync(badness))("passes the kernel's console-badness.sh without a line (TORTURE_KVM_SCRIPTS)", () => {
    const r = spawnSync('bash', [badness], { input: everyKindOfLine().join('\n') + '\n', encoding: 'utf8' });
    expect(r.stdout).toBe('');
    // The script does find badness (the check is not vacuous).
    expect(spawnSync('bash', [badness], { input: stamp('WARNING: CPU: 0 PID: 1 at x') + '\n', encoding: 'utf8' }).stdout).not.toBe('');
  });
});
