/*
 * One timed run for harness/bench/lockdep_trace.ts, in its own process so that its peak memory is
 * its own: `check FILE` does what `torture lockdep FILE` does after startup (read, parse,
 * validate: checkTraceFileFast, so a large file is read and parsed by a second thread while this
 * one validates); `baseline FILE` reads the file and JSON.parses every line, nothing else. Prints one
 * `lockdep-trace: {json}` line.
 */

import { readFileSync } from 'node:fs';
import { checkTraceFileFast } from '../lockdep/trace/trace_check.js';

const [mode, file] = process.argv.slice(2);
if (file === undefined || (mode !== 'check' && mode !== 'baseline')) {
  console.error('usage: lockdep_trace_child.js check|baseline FILE');
  process.exit(2);
}
let events = 0;
let dependencies = 0;
const t0 = performance.now();
if (mode === 'check') {
  const r = checkTraceFileFast(file, () => {}, { pipeline: true });
  if (r.rc !== 0) throw new Error(`the generated trace is not clean: ${r.findings[0]?.title ?? '?'}`);
  events = r.events;
  dependencies = r.dependencies;
} else {
  const text = readFileSync(file, 'utf8');
  let sink = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const o = JSON.parse(line) as { op?: unknown };
    if (o.op !== undefined) sink++;
  }
  events = sink;
}
const ms = performance.now() - t0;
console.log(`lockdep-trace: ${JSON.stringify({ ms, events, dependencies, maxRssKb: process.resourceUsage().maxRSS })}`);
