import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isTortureError } from '../../errors.js';
import { checkTrace } from './trace_check.js';
import { makeTestTempDir } from '../../test_support/temp_dir.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = makeTestTempDir('lockdep-trace');
let n = 0;

function traceFile(lines: readonly object[] | string): string {
  const f = path.join(dir, `t${n++}.jsonl`);
  writeFileSync(f, typeof lines === 'string' ? lines : lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return f;
}

function run(f: string): { rc: 0 | 1; out: string[] } {
  const out: string[] = [];
  const rc = checkTrace(f, (l) => out.push(l));
  return { rc, out };
}

function malformed(f: string): string {
  try {
    run(f);
  } catch (e) {
    if (isTortureError(e) && e.code === 'TRACE_MALFORMED') return e.message;
    throw e;
  }
  throw new Error('expected TRACE_MALFORMED');
}

/** Report lines with timestamps, addresses, pids, releases and stack frames taken out. */
function shape(lines: readonly string[]): string[] {
  const out: string[] = [];
  let inFrames = false;
  for (const raw of lines) {
    const l = raw.replace(/^\[\s*\d+\.\d+\]\s?/, '').replace(/\s+/g, ' ').trim();
    if (inFrames) {
      if (l === '') inFrames = false;
      else continue;
    }
    if (/^-> #\d+ /.test(l) || l === 'Call Trace:') inFrames = true;
    if (l.startsWith('Hardware name:')) continue;
    out.push(
      l
        .replace(/ffffffff[0-9a-f]{8}/g, 'ADDR')
        .replace(/, at: .*$/, ', at: SITE')
        .replace(/^.* Not tainted$/, 'RELEASE Not tainted')
        .replace(/Not tainted .*$/, 'Not tainted')
        .replace(/CPU: \d+ PID: \d+/, 'CPU: N PID: N')
        .replace(/\/\d+/g, '/PID')
        // Kernels since 6.4 print rlock() for a read acquisition in the scenario; 5.12 printed lock().
        .replace(/rlock\(/, 'lock('),
    );
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

describe('torture lockdep TRACE.jsonl', () => {
  it('reproduces the seed report line by line (timestamps, addresses and frames aside)', () => {
    const { rc, out } = run(path.join(here, '..', 'examples', 'seed.jsonl'));
    expect(rc).toBe(1);
    const seed = readFileSync(path.join(here, '..', 'test_support', 'seed_lkml_2021-05-02.txt'), 'utf8').split('\n');
    const start = seed.findIndex((l) => l.includes('======'));
    const seedShape = shape(seed.slice(start));
    expect(shape(out)).toEqual(seedShape);
    expect(out).toContain('ffffffff80001040 (cpu_hotplug_lock){++++}-{0:0}, at: static_key_enable');
    expect(out).toContain(' #0: ffffffff80001080 (slab_mutex){+.+.}-{3:3}, at: kmem_cache_create_usercopy');
  });

  it('exits 0 with a one-line summary when clean', () => {
    const f = traceFile([
      { op: 'acquire', task: 'a', lock: 'A', type: 'mutex' },
      { op: 'acquire', task: 'a', lock: 'B', type: 'spinlock' },
      { op: 'release', task: 'a', lock: 'B' },
      { op: 'release', task: 'a', lock: 'A' },
      { op: 'acquire', task: 'b', lock: 'A' },
      { op: 'acquire', task: 'b', lock: 'B' },
      { op: 'release', task: 'b', lock: 'B' },
      { op: 'release', task: 'b', lock: 'A' },
    ]);
    const { rc, out } = run(f);
    expect(rc).toBe(0);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/8 events, 2 tasks, 2 lock classes, 1 dependencies: no problems found$/);
  });

  it('rwlock reads are recursive only in interrupt context', () => {
    const inIrq = traceFile([
      { op: 'acquire', task: 't', lock: 'X', type: 'rwlock', mode: 'read' },
      { op: 'hardirq_enter', task: 't' },
      { op: 'acquire', task: 't', lock: 'X', mode: 'read' },
      { op: 'release', task: 't', lock: 'X' },
      { op: 'hardirq_exit', task: 't' },
      { op: 'release', task: 't', lock: 'X' },
    ]);
    expect(run(inIrq).rc).toBe(0);
    const inTask = traceFile([
      { op: 'acquire', task: 't', lock: 'S', type: 'rwsem', mode: 'read' },
      { op: 'acquire', task: 't', lock: 'S', mode: 'read' },
    ]);
    const r = run(inTask);
    expect(r.rc).toBe(1);
    expect(r.out[1]).toBe('WARNING: possible recursive locking detected');
  });

  it('a successful trylock adds no dependency; locks under it depend on it', () => {
    const f = traceFile([
      { op: 'acquire', task: 'a', lock: 'A', type: 'mutex' },
      { op: 'acquire', task: 'a', lock: 'B', type: 'mutex', try: true },
      { op: 'release', task: 'a', lock: 'B' },
      { op: 'release', task: 'a', lock: 'A' },
      { op: 'acquire', task: 'b', lock: 'B' },
      { op: 'acquire', task: 'b', lock: 'A' },
      { op: 'release', task: 'b', lock: 'A' },
      { op: 'release', task: 'b', lock: 'B' },
    ]);
    expect(run(f).rc).toBe(0);
    const g = traceFile([
      { op: 'acquire', task: 'a', lock: 'B', type: 'mutex', try: true },
      { op: 'acquire', task: 'a', lock: 'C', type: 'mutex' },
      { op: 'release', task: 'a', lock: 'C' },
      { op: 'release', task: 'a', lock: 'B' },
      { op: 'acquire', task: 'b', lock: 'C' },
      { op: 'acquire', task: 'b', lock: 'B' },
    ]);
    expect(run(g).rc).toBe(1);
  });

  it('releasing what the task does not hold is a bad-unlock bug, not malformed input', () => {
    const r = run(traceFile([{ op: 'release', task: 'a', lock: 'never_seen' }]));
    expect(r.rc).toBe(1);
    expect(r.out).toContain('a/1 is trying to release lock (never_seen) at:');
  });

  it('reports malformed input as FILE:LINE', () => {
    const f1 = traceFile('# comment\n\n{"op":"acquire","task":"t","lock":"A"}\n');
    expect(malformed(f1)).toBe(`${f1}:3: Cannot acquire 'A' as 'type' must be given on the class's first use: current value is missing`);
    const f2 = traceFile('{"op":"acquire","task":"t","lock":"A","type":"mutex"}\n{"op":"acquire","task":"t","lock":"A","type":"spinlock"}\n');
    expect(malformed(f2)).toMatch(/:2: Cannot acquire 'A' as 'type' must not change/);
    const f3 = traceFile('{"op":"acquire","task":"t","lock":"M","type":"mutex","mode":"read"}\n');
    expect(malformed(f3)).toMatch(/:1: Cannot acquire 'M' for read as 'type' must be rwlock, rwsem or percpu_rwsem/);
    const f4 = traceFile('{"op":"acquire",\n');
    expect(malformed(f4)).toMatch(/:1: Cannot parse the line/);
    const f5 = traceFile('{"op":"jump","task":"t"}\n');
    expect(malformed(f5)).toMatch(/:1: Cannot read the event as 'op' must be/);
    const f6 = traceFile('{"op":"acquire","task":"t","lock":"A","type":"mutex","subclass":9}\n');
    expect(malformed(f6)).toMatch(/:1: .*'subclass' must be an integer 0..7: current value is 9/);
    const f7 = traceFile('{"op":"hardirq_exit","task":"t"}\n');
    expect(malformed(f7)).toMatch(/:1: Cannot leave hardirq context/);
  });
});
