/*
 * objecttorture's verdict in the report: one line for a linearizable history, and for a
 * violation its minimal non-linearizable history drawn as a per-thread timeline (SVG, no script):
 * one row per task, one bar per call from invocation to response (to the right edge while
 * pending), the minimal calls in red, the folded calls shown for context in grey. The same
 * history the console prints as text (harness/linearizability/timeline.ts).
 */

import type { ObjectCheckRecord, RecordedCall } from '../formats/object_check_json.js';

function esc(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function show(v: RecordedCall['arg']): string {
  return v === undefined ? '' : String(v);
}

function label(o: RecordedCall): string {
  return `${o.op}(${show(o.arg)}) → ${o.ret === null ? 'pending' : o.result === undefined ? 'undefined' : String(o.result)}`;
}

const ROW = 34;
const LEFT = 70;
const WIDTH = 900;

/** The SVG timeline of a violation's calls. */
export function timelineSvg(ops: readonly (RecordedCall & { readonly context: boolean })[]): string {
  const threads = [...new Set(ops.map((o) => o.thread))].sort((a, b) => a - b);
  const t0 = Math.min(...ops.map((o) => o.call));
  const t1 = Math.max(...ops.map((o) => o.ret ?? o.call), t0 + 1);
  const span = (t1 - t0) * 1.05;
  const x = (t: number): number => LEFT + ((t - t0) / span) * (WIDTH - LEFT - 10);
  const height = threads.length * ROW + 24;
  const rows = threads.map((t, i) => `<text x="4" y="${i * ROW + 22}" font-size="12">task ${t}</text><line x1="${LEFT}" x2="${WIDTH - 10}" y1="${i * ROW + 30}" y2="${i * ROW + 30}" stroke="#ddd"/>`);
  const bars = ops.map((o) => {
    const row = threads.indexOf(o.thread);
    const a = x(o.call);
    const b = o.ret === null ? WIDTH - 10 : Math.max(x(o.ret), a + 3);
    const colour = o.context ? '#9e9e9e' : '#c62828';
    return `<g><title>${esc(`${label(o)}${o.context ? ' (linearized before)' : ''}; invoked ${((o.call - t0) / 1000).toFixed(3)} us${o.ret === null ? '' : `, returned ${((o.ret - t0) / 1000).toFixed(3)} us`}`)}</title><rect x="${a.toFixed(1)}" y="${row * ROW + 8}" width="${(b - a).toFixed(1)}" height="16" rx="3" fill="${colour}" fill-opacity="0.25" stroke="${colour}"/><text x="${(a + 3).toFixed(1)}" y="${row * ROW + 20}" font-size="11" fill="${o.context ? '#555' : '#b71c1c'}">${esc(label(o))}</text></g>`;
  });
  return `<svg class="object-timeline" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" xmlns="http://www.w3.org/2000/svg">${rows.join('')}${bars.join('')}<text x="${LEFT}" y="${height - 2}" font-size="10" fill="#777">${esc(`${(span / 1000).toFixed(1)} us shown`)}</text></svg>`;
}

/** The report's linearizability block of a scenario ('' when objecttorture did not check). */
export function objectCheckSection(rec: ObjectCheckRecord | null): string {
  if (rec === null) return '';
  const what = `${rec.operations} operations by ${rec.tasks} tasks on ${esc(rec.object)} (checked in ${rec.checkMs} ms)`;
  if (rec.verdict !== 'violation') return `<h3>Linearizability: ${rec.verdict === 'linearizable' ? 'linearizable' : 'unknown (the search ran out of steps)'}</h3><p>${what}</p>`;
  const ops = rec.ops ?? [];
  const minimal = ops.filter((o) => !o.context);
  const head = `<h3 style="color:#c62828">Linearizability: not linearizable</h3><p>${what}. Minimal non-linearizable history: ${minimal.length} call${minimal.length === 1 ? '' : 's'} (red), from the state ${esc(rec.state ?? '?')} that the ${rec.folded ?? 0} calls linearized before them leave (the latest of those in grey).</p>`;
  return ops.length === 0 ? head : `${head}<div class="object-timeline-box">${timelineSvg(ops)}</div>`;
}
