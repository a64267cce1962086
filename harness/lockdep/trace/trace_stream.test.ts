import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTraceFile, checkTraceFileFast } from './trace_check.js';
import { generateTrace } from './trace_gen.js';
import { makeTestTempDir } from '../../test_support/temp_dir.js';
import { traceOutcome } from '../test_support/trace_outcome.js';

// The pipelined check (a reader thread parses while this one validates) against the in-thread
// check of the same file: the same lines, the same result, the same malformed-input message.
// The files (5 MB) are pipelined with a lower threshold than the default 16 MiB.

const dir = makeTestTempDir('stream');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

const run = traceOutcome;

const ev = (o: Record<string, unknown>): string => JSON.stringify(o);
/* An ABBA between two classes no generated task uses: a circular dependency report. */
const ABBA = [
  ev({ op: 'acquire', task: 'x', lock: 'bug_a', type: 'mutex' }),
  ev({ op: 'acquire', task: 'x', lock: 'bug_b', type: 'mutex' }),
  ev({ op: 'release', task: 'x', lock: 'bug_b' }),
  ev({ op: 'release', task: 'x', lock: 'bug_a' }),
  ev({ op: 'acquire', task: 'y', lock: 'bug_b' }),
  ev({ op: 'acquire', task: 'y', lock: 'bug_a' }),
  ev({ op: 'release', task: 'y', lock: 'bug_a' }),
  ev({ op: 'release', task: 'y', lock: 'bug_b' }),
].join('\n');

describe('pipelined torture lockdep', () => {
  const clean = generateTrace({ events: 100_000, classes: 1000, tasks: 64 });

  it('a clean trace: the same summary as the in-thread check', () => {
    const f = write('clean.jsonl', clean);
    const fast = run(checkTraceFileFast, f, { pipeline: true, pipelineMinBytes: 1 << 20 });
    expect(fast).toEqual(run(checkTraceFile, f, {}));
    expect('result' in fast && fast.result.rc).toBe(0);
  });

  it('a bug at the end: the same report (and with --all the same findings)', () => {
    const f = write('bug.jsonl', clean + ABBA + '\n');
    for (const opts of [{}, { all: true }]) {
      const fast = run(checkTraceFileFast, f, { ...opts, pipeline: true, pipelineMinBytes: 1 << 20 });
      expect(fast).toEqual(run(checkTraceFile, f, opts));
      expect('result' in fast && fast.result.findings[0]?.title).toBe('WARNING: possible circular locking dependency detected');
    }
  });

  it('a malformed last line: the same message, nothing printed', () => {
    const f = write('bad.jsonl', clean + ABBA + '\n{"op":"acquire","task":"z"}\n');
    const fast = run(checkTraceFileFast, f, { pipeline: true, pipelineMinBytes: 1 << 20 });
    expect(fast).toEqual(run(checkTraceFile, f, {}));
    expect('error' in fast && fast.error).toMatch(/bad\.jsonl:100009: Cannot acquire as 'lock' must be a non-empty string/);
  });

  it('a malformed file read in chunks leaves no file descriptor open', () => {
    const f = write('bad_small.jsonl', ABBA + '\n{"op":"acquire","task":"z"}\n');
    const open = (): number => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let k = 0; k < 20; k++) expect(run(checkTraceFile, f, {})).toMatchObject({ error: expect.stringMatching(/bad_small\.jsonl:9: Cannot acquire/) });
    expect(open()).toBe(before);
  });

  it('a first line longer than the first chunk (a 300 KB stack): read whole, the same verdict', () => {
    // The reader's first read is a quarter megabyte; a line longer than that must grow the buffer,
    // not look like the end of the file.
    const stack = Array.from({ length: 20_000 }, (_, k) => `frame_${k}_of_a_very_deep_call_chain`);
    const first = ev({ op: 'acquire', task: 'x', lock: 'first', type: 'mutex', stack });
    expect(first.length).toBeGreaterThan(300_000);
    const f = write('longline.jsonl', first + '\n' + ev({ op: 'release', task: 'x', lock: 'first' }) + '\n' + clean + ABBA + '\n');
    const fast = run(checkTraceFileFast, f, { pipeline: true, pipelineMinBytes: 1 << 20 });
    expect(fast).toEqual(run(checkTraceFile, f, {}));
    expect('result' in fast && fast.result.events).toBe(100_010);
  });

  it('a trace whose start underestimates its capacities: checked again with the exact ones, same verdict', () => {
    // The first quarter megabyte takes two classes only; the rest 3,000 classes in one order.
    const simple: string[] = [ev({ op: 'acquire', task: 's', lock: 'first', type: 'mutex' }), ev({ op: 'release', task: 's', lock: 'first' })];
    while (simple.join('\n').length < 300_000) simple.push(ev({ op: 'acquire', task: 's', lock: 'first' }), ev({ op: 'release', task: 's', lock: 'first' }));
    const many = generateTrace({ events: 100_000, classes: 3000, tasks: 16 });
    const f = write('grows.jsonl', simple.join('\n') + '\n' + many + ABBA + '\n');
    const fast = run(checkTraceFileFast, f, { all: true, pipeline: true, pipelineMinBytes: 1 << 20 });
    expect(fast).toEqual(run(checkTraceFile, f, { all: true }));
    // Well past the ~1,100 classes the first batch suggests.
    expect('result' in fast && fast.result.classes).toBeGreaterThan(2500);
  });
});
