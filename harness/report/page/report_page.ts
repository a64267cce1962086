/// <reference lib="dom" />
/*
 * The report page's script (runs in the browser, embedded inline in index.html as a module after
 * Chart.js and Viz.js, which set the globals `Chart` and `Viz`). It draws what the data block
 * describes: per scenario, grace periods per second, the Reader Pipe / Batch histograms, hotplug
 * operations and latency, lock acquisitions over time and per task; the lockdep graph laid out by
 * Graphviz (click an edge for its first stack); the benchmark's ratios to the CAS floor.
 * When everything is drawn it sets <body data-rendered="yes"> (the browser test waits for it).
 */

import type { Chart as ChartJs, ChartConfiguration } from 'chart.js';
import type { PageData, PageScenario } from '../page_data.js';

interface VizLike {
  renderSVGElement(dot: string): SVGSVGElement;
}
interface PageGlobals {
  Chart: typeof ChartJs;
  Viz: { instance(): Promise<VizLike> };
}
const g = globalThis as unknown as PageGlobals;

const dataEl = document.getElementById('report-data');
const data = JSON.parse(dataEl?.textContent ?? '{}') as PageData;

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function chart(host: HTMLElement, title: string, cfg: ChartConfiguration, size?: { width: number; height: number }): void {
  const box = document.createElement('div');
  box.className = 'chart';
  if (size !== undefined) {
    box.style.width = `${size.width}px`;
    box.style.height = `${size.height}px`;
  }
  const canvas = document.createElement('canvas');
  canvas.setAttribute('aria-label', title);
  box.appendChild(canvas);
  host.appendChild(box);
  cfg.options = {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    ...cfg.options,
    plugins: { title: { display: true, text: title }, legend: { display: true, position: 'bottom' }, ...cfg.options?.plugins },
  };
  new g.Chart(canvas, cfg);
}

function xy(points: readonly (readonly [number, number])[]): { x: number; y: number }[] {
  return points.map(([x, y]) => ({ x, y }));
}

const linear = (label: string) => ({ type: 'linear' as const, title: { display: true, text: label } });

function scenarioCharts(s: PageScenario, host: HTMLElement): void {
  if (s.gpRate.length > 0) {
    chart(host, 'Grace periods per second', {
      type: 'line',
      data: { datasets: [{ label: `${s.name} GPs/s`, data: xy(s.gpRate), borderColor: COLORS[0], backgroundColor: COLORS[0] }] },
      options: { scales: { x: linear('seconds since boot'), y: { ...linear('GPs/s'), beginAtZero: true } } },
    });
  }
  for (const [label, hist, color] of [
    ['Reader Pipe', s.readerPipe, COLORS[2]],
    ['Reader Batch', s.readerBatch, COLORS[3]],
  ] as const) {
    if (hist === null) continue;
    chart(host, `${label} (readers per grace-period age; log scale)`, {
      type: 'bar',
      data: { labels: hist.map((_, i) => String(i)), datasets: [{ label, data: hist.map((n) => (n > 0 ? n : null)), backgroundColor: color }] },
      options: { scales: { y: { type: 'logarithmic', min: 1, title: { display: true, text: 'readers' } }, x: { title: { display: true, text: 'grace periods seen' } } } },
    });
  }
  if (s.hotplug.length > 0) {
    chart(host, 'CPU hotplug operations', {
      type: 'line',
      data: {
        datasets: [
          { label: 'offlines', data: s.hotplug.map((p) => ({ x: p.t, y: p.offlineOk })), borderColor: COLORS[1], backgroundColor: COLORS[1] },
          { label: 'onlines', data: s.hotplug.map((p) => ({ x: p.t, y: p.onlineOk })), borderColor: COLORS[0], backgroundColor: COLORS[0] },
          { label: 'failed attempts', data: s.hotplug.map((p) => ({ x: p.t, y: p.onlineTry - p.onlineOk + p.offlineTry - p.offlineOk })), borderColor: COLORS[4], backgroundColor: COLORS[4] },
        ],
      },
      options: { scales: { x: linear('seconds since boot'), y: { ...linear('operations (cumulative)'), beginAtZero: true } } },
    });
    const last = s.hotplug[s.hotplug.length - 1];
    if (last !== undefined) {
      const ms = (j: number): number => (j * 1000) / last.hz;
      const avg = (sum: number, n: number): number => (n > 0 ? ms(sum) / n : 0);
      chart(host, 'CPU hotplug latency (ms)', {
        type: 'bar',
        data: {
          labels: ['offline', 'online'],
          datasets: [
            { label: 'min', data: [ms(Math.max(0, last.offlineMinJ)), ms(Math.max(0, last.onlineMinJ))], backgroundColor: COLORS[2] },
            { label: 'mean', data: [avg(last.offlineSumJ, last.offlineOk), avg(last.onlineSumJ, last.onlineOk)], backgroundColor: COLORS[0] },
            { label: 'max', data: [ms(last.offlineMaxJ), ms(last.onlineMaxJ)], backgroundColor: COLORS[1] },
          ],
        },
        options: { scales: { y: { ...linear('ms'), beginAtZero: true } } },
      });
    }
  }
  if (s.writes.length > 0) {
    chart(host, 'Lock acquisitions per second', {
      type: 'line',
      data: {
        datasets: [
          { label: 'writes/s', data: xy(s.writeRate), borderColor: COLORS[0], backgroundColor: COLORS[0] },
          ...(s.readRate.length > 0 ? [{ label: 'reads/s', data: xy(s.readRate), borderColor: COLORS[2], backgroundColor: COLORS[2] }] : []),
        ],
      },
      options: { scales: { x: linear('seconds since boot'), y: { ...linear('acquisitions/s'), beginAtZero: true } } },
    });
    if (s.tasks !== null) {
      const w = s.tasks.writers;
      const r = s.tasks.readers;
      chart(host, 'Acquisitions per task (fairness)', {
        type: 'bar',
        data: {
          labels: [...w.map((_, i) => `writer ${i}`), ...r.map((_, i) => `reader ${i}`)],
          datasets: [{ label: 'acquisitions', data: [...w, ...r], backgroundColor: [...w.map(() => COLORS[0] ?? ''), ...r.map(() => COLORS[2] ?? '')] }],
        },
        options: { scales: { y: { ...linear('acquisitions'), beginAtZero: true } }, plugins: { legend: { display: false } } },
      });
    } else {
      chart(host, 'Writer fairness: most and least acquisitions of one task', {
        type: 'line',
        data: {
          datasets: [
            { label: 'max per task', data: s.writes.map((p) => ({ x: p.t, y: p.max })), borderColor: COLORS[1], backgroundColor: COLORS[1] },
            { label: 'min per task', data: s.writes.map((p) => ({ x: p.t, y: p.min })), borderColor: COLORS[2], backgroundColor: COLORS[2] },
          ],
        },
        options: { scales: { x: linear('seconds since boot'), y: { ...linear('acquisitions'), beginAtZero: true } } },
      });
    }
  }
}

function showStack(panel: HTMLElement, title: string, stack: readonly string[]): void {
  panel.textContent = `${title}\n${stack.length > 0 ? stack.map((f) => `    ${f}`).join('\n') : '    (no stack recorded)'}`;
}

async function drawGraphs(): Promise<void> {
  const withGraph = data.scenarios.filter((s) => s.lockGraph !== null);
  if (withGraph.length === 0) return;
  const viz = await g.Viz.instance();
  for (const s of withGraph) {
    const pic = s.lockGraph;
    const host = document.getElementById(`graph-${s.index}`);
    const panel = document.getElementById(`stack-${s.index}`);
    if (pic === null || host === null || panel === null) continue;
    const svg = viz.renderSVGElement(pic.dot);
    svg.classList.add('lockgraph');
    host.appendChild(svg);
    for (const el of Array.from(svg.querySelectorAll('g.edge'))) {
      const e = pic.edges[el.id];
      if (e === undefined) continue;
      el.addEventListener('click', (ev) => {
        ev.preventDefault();
        for (const o of Array.from(svg.querySelectorAll('g.edge.selected'))) o.classList.remove('selected');
        el.classList.add('selected');
        showStack(panel, e.title, e.stack);
      });
    }
    const first = Object.entries(pic.edges).find(([id]) => id.startsWith('new')) ?? Object.entries(pic.edges)[0];
    if (first !== undefined) showStack(panel, `${first[1].title}   (click an edge for its stack)`, first[1].stack);
  }
}

function drawBench(): void {
  for (const b of data.bench) {
    const host = document.getElementById(`bench-${b.index}`);
    if (host === null || b.rows.length === 0) continue;
    chart(
      host,
      'Benchmark: time per operation as a multiple of the CAS floor (p50, log scale)',
      {
        type: 'bar',
        data: { labels: b.rows.map((r) => r.name), datasets: [{ label: '× CAS floor (p50)', data: b.rows.map((r) => r.ratio), backgroundColor: COLORS[0] }] },
        options: {
          indexAxis: 'y',
          scales: { x: { type: 'logarithmic', title: { display: true, text: '× floor' } }, y: { ticks: { autoSkip: false } } },
          plugins: { legend: { display: false } },
        },
      },
      { width: 860, height: 90 + 26 * b.rows.length },
    );
  }
}

async function main(): Promise<void> {
  for (const s of data.scenarios) {
    const host = document.getElementById(`charts-${s.index}`);
    if (host !== null) scenarioCharts(s, host);
  }
  drawBench();
  await drawGraphs();
  document.body.dataset['rendered'] = 'yes';
}

main().catch((e: unknown) => {
  document.body.dataset['rendered'] = 'error';
  console.error(e);
});
