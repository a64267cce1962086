import { describe, expect, it } from 'vitest';
import { checkTraceFile } from './trace_check.js';
import { generateTrace } from './trace_gen.js';
import type { ParsedTrace } from './trace_format.js';
import { parseTrace } from './trace_parse.js';

function columns(t: ParsedTrace): unknown {
  const ev = [];
  for (let i = 0; i < t.n; i++) {
    ev.push([t.op[i], t.taskNames[t.task[i] ?? 0], (t.lock[i] ?? -1) >= 0 ? t.lockNames[t.lock[i] ?? 0] : null, t.sub[i], t.flags[i], t.line[i], t.stacks.get(i) ?? null]);
  }
  return { ev, types: t.lockNames.map((l, i) => [l, t.lockTypes[i]]) };
}

describe('trace reader', () => {
  it('the byte scanner and the JSON.parse reader give the same events', () => {
    const events = [
      { op: 'acquire', task: 't1', lock: 'A', type: 'rwsem', mode: 'read', subclass: 2, try: true },
      { op: 'acquire', task: 't1', lock: 'B', type: 'mutex', stack: ['f', 'g'] },
      { op: 'release', task: 't1', lock: 'B', subclass: 0 },
      { op: 'hardirq_enter', task: 't2' },
      { op: 'acquire', task: 't2', lock: 'A', mode: 'write', extra: { nested: 1 } },
      { op: 'release', task: 't2', lock: 'A' },
      { op: 'hardirq_exit', task: 't2', note: 'x' },
      { op: 'release', task: 't1', lock: 'A' },
    ];
    const compact = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
    // Escaped (\u0041 is A), spaced, reordered and CRLF lines all take the JSON.parse reader.
    const slow = events
      .map((e) => ' ' + JSON.stringify(Object.fromEntries(Object.entries(e).reverse()), null, 1).replace(/\n/g, ' ').replace(/"A"/g, '"\\u0041"') + '\r')
      .join('\n');
    expect(columns(parseTrace('x', slow))).toEqual(columns(parseTrace('x', compact)));
  });

  it('sizes the validator to the trace: 200,000 events, no capacity limit, no validator switched off', () => {
    const text = generateTrace({ events: 200_000, classes: 1000, tasks: 64 });
    const out: string[] = [];
    const r = checkTraceFile('gen.jsonl', (l) => out.push(l), {}, new TextEncoder().encode(text));
    expect(r.rc).toBe(0);
    expect(out).toEqual([expect.stringMatching(/^lockdep: gen\.jsonl: 200000 events, 64 tasks, 1000 lock classes, \d+ dependencies: no problems found$/)]);
  });
});
