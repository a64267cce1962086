/*
 * Test helper (never imported by product code): open a report in Debian's headless Chromium
 * through playwright-core, wait until the page script says it has drawn everything, collect
 * console errors and page errors, count what was drawn, and keep a full-page screenshot.
 *
 * Run by hand for a screenshot of any report:
 *   node dist/harness/report/test_support/browser_page.js results/<datestamp>/index.html
 */

import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { makeTestTempDir } from '../../test_support/temp_dir.js';

export const CHROMIUM = process.env['TORTURE_CHROMIUM'] ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

export interface PageCheck {
  readonly rendered: string | null;
  readonly errors: readonly string[];
  /** Requests that left file:// (there must be none: the page is self-contained). */
  readonly network: readonly string[];
  readonly canvases: number;
  readonly graphs: number;
  /** Lock-graph nodes and edges drawn red (the reported cycle). */
  readonly cycleNodes: number;
  readonly cycleEdges: number;
  readonly verdictRows: number;
  readonly screenshot: string;
}

/** Why the browser test cannot run here, or null when it can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} not found (apt-get install -y chromium)`;
}

export async function checkPage(htmlFile: string, screenshot: string = path.join(path.dirname(htmlFile), 'index.png')): Promise<PageCheck> {
  const userDataDir = makeTestTempDir('chromium');
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    viewport: { width: 1400, height: 900 },
  });
  try {
    const page = await ctx.newPage();
    const errors: string[] = [];
    const network: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) network.push(r.url());
    });
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.dataset['rendered'] !== undefined, undefined, { timeout: 60_000 });
    const counts = await page.evaluate(() => ({
      rendered: document.body.dataset['rendered'] ?? null,
      canvases: document.querySelectorAll('.chart canvas').length,
      graphs: document.querySelectorAll('svg.lockgraph').length,
      cycleNodes: document.querySelectorAll('svg.lockgraph g.node polygon[stroke="#c62828"], svg.lockgraph g.node path[stroke="#c62828"]').length,
      cycleEdges: document.querySelectorAll('svg.lockgraph g.edge path[stroke="#c62828"]').length,
      verdictRows: document.querySelectorAll('#verdicts tr').length - 1,
    }));
    await page.screenshot({ path: screenshot, fullPage: true });
    return { ...counts, errors, network, screenshot };
  } finally {
    await ctx.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const f = process.argv[2];
  if (f === undefined) {
    process.stderr.write('usage: browser_page.js REPORT.html [SCREENSHOT.png]\n');
    process.exit(2);
  }
  const r = await checkPage(path.resolve(f), process.argv[3] !== undefined ? path.resolve(process.argv[3]) : undefined);
  process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  process.exit(r.errors.length === 0 && r.rendered === 'yes' ? 0 : 1);
}
