import { describe, expect, it } from 'vitest';
import { coverageBlockLines, parseCoverageBlock, type CoverageBlock } from '../formats/coverage_block.js';
import { COVERAGE_SLOTS, type CoverageFacts } from '../formats/coverage_points.js';
import { overallCoverageSection, scenarioCoverageTable } from './coverage_table.js';

function block(facts: CoverageFacts, counts: Readonly<Record<string, number>>): CoverageBlock {
  const b = parseCoverageBlock(coverageBlockLines(facts, COVERAGE_SLOTS.map((s) => counts[s.name] ?? 0)));
  if (b === null) throw new Error('no block');
  return b;
}
const SPIN: CoverageFacts = { suite: 'lock', tortureType: 'spin_lock', onoff: false, preempt: true, smp: true };

describe('the report coverage tables', () => {
  it('marks a scenario\'s cold points, first, and opens the table', () => {
    const html = scenarioCoverageTable(block(SPIN, { 'spin.slowpath': 5, 'spin.pv_wait': 1 }));
    expect(html).toMatch(/^<details open><summary>Coverage: 3 points expected, <b>1 cold<\/b> \(lock spin_lock, onoff 0, preempt 1\)/);
    const rows = [...html.matchAll(/<tr class="(\w+)"><td>([^<]+)<\/td>/g)].map((m) => [m[1], m[2]]);
    expect(rows[0]).toEqual(['cold', 'spin.pv_kick']);
    expect(rows.slice(1, 3)).toEqual([['hot', 'spin.slowpath'], ['hot', 'spin.pv_wait']]);
    expect(rows).toHaveLength(COVERAGE_SLOTS.length);
    expect(scenarioCoverageTable(null)).toMatch(/no coverage block/);
    expect(scenarioCoverageTable(block(SPIN, { 'spin.slowpath': 5, 'spin.pv_wait': 1, 'spin.pv_kick': 1 }))).toMatch(/^<details><summary>/);
  });

  it('names the points never reached in any scenario of the page', () => {
    const a = { dir: 'a', block: block(SPIN, { 'spin.slowpath': 5 }) };
    const b = { dir: 'b', block: block(SPIN, { 'spin.slowpath': 2, 'spin.pv_wait': 1 }) };
    const html = overallCoverageSection([a, b]);
    expect(html).toContain('Never reached anywhere: <b style="color:#b71c1c">spin.pv_kick</b>; 1 more cold in some scenario that expects them.');
    expect(html).toContain('<tr class="never"><td>spin.pv_kick</td>');
    expect(html).toContain('<tr class="cold"><td>spin.pv_wait</td>');
    expect(overallCoverageSection([a])).toBe('');
  });
});
