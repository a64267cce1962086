/*
 * index.html for any results directory (`torture report DIR`, and the end of every battery):
 * one self-contained file that opens from disk with no network. The tables are plain HTML (they
 * read without JavaScript); the charts (Chart.js) and the lockdep graph (Graphviz compiled to
 * WebAssembly, @viz-js/viz) are drawn by the page script from an embedded data block. Both
 * libraries and the page script are inlined, the WebAssembly included (viz-global.js carries it).
 * Links (console.log, .diags, step output) are relative, so the directory can be moved or
 * downloaded as a CI artifact. Why these libraries: harness/report/README.md.
 */

import { objectCheckSection } from './object_timeline.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { builtEntry } from '../lib/dist_entry.js';
import { jobInconclusive } from '../formats/battery_files.js';
import { writeFileAtomic } from '../lib/write_file_atomic.js';
import type { RunVerdict } from '../recheck/verdict.js';
import { collectReport, type ReportModel, type ScenarioView } from './collect.js';
import { pageData } from './page_data.js';
import { COVERAGE_CSS, overallCoverageSection, scenarioCoverageTable } from './coverage_table.js';
import { lockStatSection } from './lock_stat_table.js';
import { SCENARIO_FILE } from '../formats/results_files.js';

export const REPORT_FILE = 'index.html';

const require = createRequire(import.meta.url);

/** A library's browser build, found beside its package entry point (exports hide the path). */
function libText(pkg: string, file: string): string {
  return readFileSync(path.join(path.dirname(require.resolve(pkg)), file), 'utf8');
}

function pageScript(): string {
  const f = builtEntry('reportPage', 'write index.html');
  // The page script's only imports are types; drop the `export {}` tsc leaves and the source map link.
  return readFileSync(f, 'utf8').replace(/^export \{\};\s*$/m, '').replace(/^\/\/# sourceMappingURL=.*$/m, '');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Text safe inside an inline <script>: no `</script`, no `<!--`. */
function scriptSafe(s: string): string {
  return s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function href(rel: string): string {
  return rel.split(path.sep).map(encodeURIComponent).join('/');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:16px 24px}header h1{margin:0 0 6px;font-size:20px}
header code{color:#cfe3ff;word-break:break-all}main{padding:16px 24px;max-width:1400px}
.counts{margin-top:8px;font-size:16px}.counts b{font-size:18px}
table{border-collapse:collapse;background:#fff;margin:8px 0 20px;width:100%;box-shadow:0 1px 2px #0001}
th,td{border-bottom:1px solid #e3e6eb;padding:5px 8px;text-align:left;vertical-align:top}th{background:#eef1f5;font-weight:600}
td.reasons{font-size:12px;color:#444;max-width:520px}td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#fff;background:#2e7d32;border-radius:3px;padding:1px 6px;font-weight:600;white-space:nowrap}
.fail{color:#fff;background:#c62828;border-radius:3px;padding:1px 6px;font-weight:600;white-space:nowrap}
.xfail{color:#fff;background:#6a1b9a;border-radius:3px;padding:1px 6px;font-weight:600;white-space:nowrap}
.inconclusive{color:#fff;background:#e65100;border-radius:3px;padding:1px 6px;font-weight:600;white-space:nowrap}
.times{font-size:12px;color:#555;white-space:nowrap}
section.scenario{background:#fff;margin:0 0 20px;padding:12px 16px;box-shadow:0 1px 2px #0001}
section.scenario h2{margin:0 0 4px;font-size:17px}.headline{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#333}
.charts{display:flex;flex-wrap:wrap;gap:12px;margin-top:8px}.chart{position:relative;width:420px;height:240px}
.graphbox{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start;margin-top:8px}
.graph{border:1px solid #e3e6eb;background:#fcfcfd;padding:6px;max-width:100%;overflow:auto}
svg.lockgraph{max-width:860px;height:auto}svg.lockgraph g.edge{cursor:pointer}svg.lockgraph g.edge.selected path{stroke-width:5}
pre{background:#f0f2f5;padding:8px;font-size:12px;overflow:auto;max-height:340px;margin:6px 0}
pre.stack{min-width:360px;max-width:640px;flex:1;white-space:pre-wrap}
td.name,td.num{white-space:nowrap}
a{color:#1a56b5}h2.top{font-size:18px;margin:18px 0 6px}
`;

function badge(passed: boolean, expectedFailure: boolean, inconclusive = false): string {
  if (!passed && inconclusive) return '<span class="inconclusive" title="clean, but too little tested to say: see the reason">INCONCLUSIVE</span>';
  if (!passed) return '<span class="fail">FAIL</span>';
  return expectedFailure ? '<span class="xfail" title="the run failed, as this job requires">PASS · failed as required</span>' : '<span class="pass">PASS</span>';
}

function link(rel: string | null, text: string): string {
  return rel === null ? '' : `<a href="${esc(href(rel))}">${esc(text)}</a>`;
}

function jobsTable(m: ReportModel): string {
  const b = m.battery;
  if (b === null) return '';
  const rows = b.jobs.map((j) => {
    const outs = m.stepOutputs[j.name] ?? {};
    const expectedFailure = j.steps.some((s) => s.exitCode !== null && s.exitCode !== 0);
    const inconclusive = jobInconclusive(j);
    return `<tr><td class="name"><b>${esc(j.name)}</b></td><td>${esc(j.what)}</td><td>${esc(j.steps.map((s) => (j.steps.length > 1 ? `${s.name}: ${s.expect}` : s.expect)).join('; '))}</td><td>${j.state === 'done' ? badge(j.passed === true, expectedFailure, inconclusive) : `<span class="fail">${esc(j.state.toUpperCase())}</span>`}</td><td class="reasons">${j.reasons.map(esc).join('<br>')}</td><td>${Object.entries(outs)
      .map(([s, rel]) => link(rel, `${s}.out`))
      .join(' ')}</td><td class="num">${j.seconds === null ? '' : j.seconds.toFixed(1) + ' s'}</td></tr>`;
  });
  return `<h2 class="top">Jobs</h2><table id="jobs"><tr><th>job</th><th>what</th><th>expected</th><th>result</th><th>reasons</th><th>output</th><th>time</th></tr>${rows.join('')}</table>`;
}

function isInconclusive(s: ScenarioView): boolean {
  return s.summary.verdict === 'inconclusive';
}

/** `boot 1.23 s · test 10.0 s`: the guest's boot apart from its test time ('' when the console does not say). */
function times(s: ScenarioView): string {
  const { bootSec, testSec } = s.summary;
  const parts = [bootSec != null ? `boot ${bootSec.toFixed(2)} s` : '', testSec != null ? `test ${testSec.toFixed(1)} s` : ''].filter((x) => x !== '');
  return parts.length === 0 ? '' : `<span class="times">${parts.join(' · ')}</span>`;
}

function scenarioRow(s: ScenarioView, i: number): string {
  const expectedFailure = s.passed && s.summary.verdict === 'failure';
  return `<tr><td><a href="#sc-${i}">${esc(s.id)}</a></td><td>${esc(s.expect ?? 'success')}</td><td>${badge(s.passed, expectedFailure, isInconclusive(s))}</td><td class="headline">${esc(s.summary.headline)} ${times(s)}</td><td class="reasons">${s.summary.reasons.map(esc).join('<br>')}</td><td>${link(s.consoleRel, 'console.log')} ${link(s.diagsRel, 'diags')}</td></tr>`;
}

function scenarioSection(s: ScenarioView, i: number): string {
  const g = s.graph;
  const cycle = g?.cycles[0];
  const hasGraph = g !== null && (g.edges.length > 0 || g.cycles.length > 0);
  const graph = hasGraph
    ? `<h3>Lockdep dependency graph${cycle !== undefined ? ` — <span style="color:#c62828">reported cycle: ${esc([...cycle.classes, cycle.classes[0] ?? ''].join(' → '))}</span>` : ''}</h3>
<div class="graphbox"><div class="graph" id="graph-${i}"></div><pre class="stack" id="stack-${i}">click an edge for the stack of its first recording</pre></div>
<p style="font-size:12px;color:#555">${g.classes.length} classes, ${g.edges.length} dependencies. Edge labels: -(SR)-, -(ER)-, -(SN)-, -(EN)- as lockdep-design.rst (S/E: shared/exclusive holder, R/N: recursive/non-recursive acquirer).</p>`
    : '';
  return `<section class="scenario" id="sc-${i}"><h2>${esc(s.id)} ${badge(s.passed, s.passed && s.summary.verdict === 'failure', isInconclusive(s))}</h2>
<div class="headline">${esc(s.summary.headline)}</div>
<div>${times(s)}</div>
${s.summary.reasons.length > 0 ? `<ul class="reasons">${s.summary.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : ''}
<div>${link(s.consoleRel, 'console.log')} ${link(s.diagsRel, 'console.log.diags')}</div>
${graph}
${objectCheckSection(s.objectCheck)}
<div class="charts" id="charts-${i}"></div>
${scenarioCoverageTable(s.summary.coverage)}
${lockStatSection(s.summary.lockStat, link(s.consoleRel === null ? null : path.join(path.dirname(s.consoleRel), SCENARIO_FILE.lockStat), 'lock_stat'))}
${s.splatHead !== '' ? `<details><summary>first splat</summary><pre>${esc(s.splatHead)}</pre></details>` : ''}
</section>`;
}

function benchSection(m: ReportModel): string {
  return m.bench
    .map((b, i) => {
      const rows = b.report.rows.map((r) =>
        r.state !== 'measured'
          ? `<tr><td>${esc(r.name)}</td><td colspan="3">skipped: ${esc(r.reason)}</td></tr>`
          : r.kind === 'latency'
            ? `<tr><td>${esc(r.name)}</td><td class="num">${r.p50Ns.toFixed(1)} ns</td><td class="num">${r.ratioToFloor === null ? '' : r.ratioToFloor.toFixed(2) + '×'}</td><td>${esc(r.what)}</td></tr>`
            : `<tr><td>${esc(r.name)}</td><td class="num" colspan="2">${r.kind === 'throughput' ? Math.round(r.opsPerSec).toLocaleString('en-US') + ' ops/s' : r.kind === 'lockdep_trace' ? Math.round(r.eventsPerSec).toLocaleString('en-US') + ' events/s' : r.kind === 'linearizability' ? r.checkMs.toFixed(0) + ' ms' : Math.round(r.gpsPerSec).toLocaleString('en-US') + ' GPs/s'}</td><td>${esc(r.what)}</td></tr>`,
      );
      return `<section class="scenario" id="bench"><h2>Benchmark (${esc(b.job)})</h2><div>${link(b.rel, 'bench.json')} — host: ${esc(b.report.host.cpuModel)}, ${b.report.host.cores} cores, load ${b.report.host.loadAvg1.toFixed(2)}</div>
<div class="charts" id="bench-${i}"></div>
<table><tr><th>row</th><th>p50</th><th>÷ CAS floor</th><th>what</th></tr>${rows.join('')}</table>
${b.compare.length > 0 ? `<h3>Compared with the given bench.json</h3><pre>${esc(b.compare.join('\n'))}</pre>` : ''}</section>`;
    })
    .join('\n');
}

export function renderReport(m: ReportModel): string {
  const passed = m.battery !== null ? m.battery.jobs.filter((j) => j.passed === true).length : m.scenarios.filter((s) => s.passed).length;
  const total = m.battery !== null ? m.battery.jobs.length : m.scenarios.length;
  const counts =
    m.battery !== null
      ? `Summary: Successes: <b>${passed}</b> Failures: <b>${total - passed}</b>.`
      : `${passed} of ${total} scenario runs succeeded.`;
  const nInconclusive = m.scenarios.filter(isInconclusive).length;
  const inconclusiveNote = nInconclusive > 0 ? ` <span class="inconclusive">${nInconclusive} INCONCLUSIVE</span> (too little tested to say).` : '';
  const merged = m.battery?.mergedFrom !== undefined ? `<div>merged from: ${m.battery.mergedFrom.map((d) => `<code>${esc(d)}</code>`).join(', ')}</div>` : '';
  const shard = m.battery?.shard != null ? `<div>shard ${m.battery.shard.index}/${m.battery.shard.count}</div>` : '';
  const data = pageData(m);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(m.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CSS}${COVERAGE_CSS}</style></head>
<body>
<header><h1>${esc(m.title)}</h1><div><code>${esc(m.commandLine)}</code></div>${merged}${shard}<div class="counts">${counts}${inconclusiveNote}</div></header>
<main>
${jobsTable(m)}
<h2 class="top">Scenario runs</h2>
<table id="verdicts"><tr><th>scenario</th><th>expected</th><th>verdict</th><th>headline</th><th>reasons</th><th>files</th></tr>${m.scenarios.map(scenarioRow).join('')}</table>
${overallCoverageSection(m.scenarios.flatMap((s) => (s.summary.coverage == null ? [] : [{ dir: s.rel, block: s.summary.coverage }])))}
${benchSection(m)}
${m.scenarios.map(scenarioSection).join('\n')}
</main>
<script type="application/json" id="report-data">${scriptSafe(JSON.stringify(data))}</script>
<script>${scriptSafe(libText('chart.js', 'chart.umd.min.js'))}</script>
<script>${scriptSafe(libText('@viz-js/viz', 'viz-global.js'))}</script>
<script type="module">${scriptSafe(pageScript())}</script>
</body></html>
`;
}

/**
 * Write DIR/index.html (from `verdict` when the caller just rechecked DIR); returns its path.
 * Through a temporary name: a full disk leaves no truncated page (throws WriteFailure).
 */
export function writeReport(dir: string, verdict: RunVerdict | null = null): string {
  const m = collectReport(dir, verdict);
  const file = path.join(m.dir, REPORT_FILE);
  writeFileAtomic(file, renderReport(m));
  return file;
}
