/*
 * The report's coverage tables (harness/formats/coverage_block.ts, coverage_sum.ts): one per
 * scenario, from its summary's coverage block, and one over every scenario of the page (a battery
 * or a merge: the points never reached anywhere). Plain HTML in a <details>, open when something
 * is cold; cold rows are marked (class `cold`: red), expected points first, cold ones at the top.
 */

import type { CoverageBlock } from '../formats/coverage_block.js';
import { coverageMark } from '../formats/coverage_block.js';
import { sumCoverage, type CoverageSum, type ScenarioCoverage } from '../formats/coverage_sum.js';

export const COVERAGE_CSS = `
table.coverage{width:auto;font-size:12px}table.coverage td{padding:2px 8px}
tr.cold td,tr.never td{background:#fdecea;color:#b71c1c;font-weight:600}tr.unexpected td{color:#888}
`;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const RANK = { cold: 0, hot: 1, '-': 2 } as const;

/** A scenario's coverage table, or a line saying its console has no block. */
export function scenarioCoverageTable(block: CoverageBlock | null | undefined): string {
  if (block === null || block === undefined) return '<p class="times">no coverage block in console.log (guest ended before printing it, or results from before coverage)</p>';
  const expected = new Set(block.expected);
  const rows = Object.entries(block.counts)
    .map(([name, count], i) => ({ name, count, i, mark: coverageMark(expected.has(name), count) }))
    .sort((a, b) => RANK[a.mark] - RANK[b.mark] || a.i - b.i);
  const cold = rows.filter((r) => r.mark === 'cold').length;
  const f = block.facts;
  const body = rows
    .map((r) => `<tr class="${r.mark === 'cold' ? 'cold' : r.mark === '-' ? 'unexpected' : 'hot'}"><td>${esc(r.name)}</td><td class="num">${r.count.toLocaleString('en-US')}</td><td>${r.mark}</td></tr>`)
    .join('');
  return `<details${cold > 0 ? ' open' : ''}><summary>Coverage: ${expected.size} points expected, <b>${cold} cold</b> (${esc(f.suite)} ${esc(f.tortureType)}, onoff ${f.onoff ? 1 : 0}, preempt ${f.preempt ? 1 : 0})</summary>
<table class="coverage"><tr><th>point</th><th>count</th><th>mark</th></tr>${body}</table></details>`;
}

function sumTable(sum: CoverageSum): string {
  const body = sum.totals
    .map(
      (t) =>
        `<tr class="${t.mark === 'never' ? 'never' : t.mark === 'cold' ? 'cold' : t.mark === '-' ? 'unexpected' : 'hot'}"><td>${esc(t.name)}</td><td class="num">${t.count.toLocaleString('en-US')}</td><td class="num">${t.expectedIn}</td><td class="num">${t.coldIn}</td><td>${t.mark}</td><td>${esc(t.subsystem)}</td></tr>`,
    )
    .join('');
  return `<table class="coverage"><tr><th>point</th><th>count</th><th>expected in</th><th>cold in</th><th>mark</th><th>subsystem</th></tr>${body}</table>`;
}

/** The table over every scenario of the page (with more than one scenario), the points never reached anywhere first. */
export function overallCoverageSection(list: readonly ScenarioCoverage[]): string {
  if (list.length < 2) return '';
  const sum = sumCoverage(list);
  const never = sum.totals.filter((t) => t.mark === 'never');
  const cold = sum.totals.filter((t) => t.mark === 'cold').length;
  return `<h2 class="top">Coverage of all ${sum.scenarios} scenario runs</h2>
<p>Never reached anywhere: ${never.length === 0 ? 'none' : never.map((t) => `<b style="color:#b71c1c">${esc(t.name)}</b>`).join(', ')}; ${cold} more cold in some scenario that expects them.</p>
<details id="coverage-all"${never.length > 0 ? ' open' : ''}><summary>coverage table (summed as <code>torture coverage</code>)</summary>${sumTable(sum)}</details>`;
}
