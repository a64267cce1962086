import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkPage, chromiumMissing } from './test_support/browser_page.js';
import { runTortureUntil, scenarioConsole } from '../test_support/run_until.js';

// The seed's report, end to end: a TREE05 run with the buggy order (which writes index.html and
// junit.xml itself, as recheck writers), `torture report` (which rewrites the same), then the
// page opened in headless Chromium: it renders with no console error and no network request, the
// charts are there, and the lock graph draws the reported cycle in red. JUnit parsed back.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'torture.js');
const MISSING = chromiumMissing();
const IN_CI = process.env['CI'] !== undefined && process.env['CI'] !== '';
let dir: string;
const byRun: { html: string; junit: string } = { html: '', junit: '' };

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'harness', 'report', 'page', 'report_page.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  // 5 s, longer (up to 40 s) until the guest has reported the seed's cycle.
  const r = await runTortureUntil(['--configs', 'TREE05', '--bootargs', 'slub.debug_key_under_slab_mutex=1'], (x) => scenarioConsole(x, 'TREE05').includes('WARNING: possible circular locking dependency detected'), { fromSec: 5, capSec: 40 });
  expect(r.code, r.out).toBe(1);
  dir = r.dir;
  byRun.html = readFileSync(path.join(dir, 'index.html'), 'utf8');
  byRun.junit = readFileSync(path.join(dir, 'junit.xml'), 'utf8');
  const rep = spawnSync(process.execPath, [BIN, 'report', dir], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  expect(rep.status, rep.stderr).toBe(0);
}, 300_000);

describe('torture report', () => {
  it('the guest wrote the dependency graph with the reported cycle', () => {
    const g = JSON.parse(readFileSync(path.join(dir, 'TREE05', 'lockdep_graph.json'), 'utf8')) as { classes: { name: string }[]; edges: { stack: string[] }[]; cycles: { classes: string[]; stacks: string[][] }[] };
    expect(g.classes.map((c) => c.name)).toEqual(expect.arrayContaining(['cpu_hotplug_lock', 'slab_mutex']));
    // Either side may close the cycle first (the stats kthread or torture_onoff).
    expect([...(g.cycles[0]?.classes ?? [])].sort()).toEqual(['cpu_hotplug_lock', 'slab_mutex']);
    expect(g.cycles[0]?.stacks[0]?.[0]).toMatch(/^(percpu_down_read|mutex_lock) /);
    expect(g.edges.every((e) => e.stack.length > 0)).toBe(true);
  });

  it('the plain run already wrote index.html and junit.xml, the same files `torture report` writes', () => {
    expect(byRun.html).toContain('<table id="verdicts">');
    expect(readFileSync(path.join(dir, 'index.html'), 'utf8')).toBe(byRun.html);
    expect(readFileSync(path.join(dir, 'junit.xml'), 'utf8')).toBe(byRun.junit);
  });

  it('is one self-contained file', () => {
    const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/[^"' ]+\.(js|css|wasm)/);
    expect(html).toContain('Viz.js');
  });

  it('writes JUnit with the failure, its reasons and the splat', () => {
    const xml = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testcase' || n === 'testsuite' }).parse(readFileSync(path.join(dir, 'junit.xml'), 'utf8')) as {
      testsuites: { testsuite: { testcase: { '@_name': string; failure?: { '@_message': string; '#text'?: string }; 'system-out'?: string }[] }[] };
    };
    const [c] = xml.testsuites.testsuite.flatMap((s) => s.testcase);
    expect(c?.['@_name']).toBe('TREE05');
    expect(c?.failure?.['@_message']).toContain('possible circular locking dependency detected');
    expect(c?.failure?.['#text']).toMatch(/={20,}[\s\S]*cpu_hotplug_lock/);
    expect(c?.['system-out']).toMatch(/reboot: Power down|torture/);
  });

  it.skipIf(MISSING !== null && !IN_CI)(`renders in headless Chromium with the cycle highlighted${MISSING !== null ? ` (skipped: ${MISSING})` : ''}`, { timeout: 120_000 }, async () => {
    if (MISSING !== null) throw new Error(`CI must have Chromium: ${MISSING}`);
    const page = await checkPage(path.join(dir, 'index.html'));
    expect(page.errors).toEqual([]);
    expect(page.network).toEqual([]);
    expect(page.rendered).toBe('yes');
    expect(page.verdictRows).toBe(1);
    expect(page.graphs).toBe(1);
    expect(page.cycleNodes).toBe(2);
    expect(page.cycleEdges).toBeGreaterThanOrEqual(2);
    // Grace periods and both reader histograms at least (hotplug charts need an onoff print).
    expect(page.canvases).toBeGreaterThanOrEqual(3);
    expect(existsSync(page.screenshot)).toBe(true);
    console.log(`screenshot: ${page.screenshot}`);
  });
});
