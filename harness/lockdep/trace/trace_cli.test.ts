import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isTortureError } from '../../errors.js';
import { lockdepCommand } from './trace_cli.js';
import { makeTestTempDir } from '../../test_support/temp_dir.js';

// Several traces run on a piscina pool of dist/ workers: `npm run build` first (npm test does).
const here = path.dirname(fileURLToPath(import.meta.url));
const seed = path.join(here, '..', 'examples', 'seed.jsonl');
const dir = makeTestTempDir('lockdep-cli');
let n = 0;

function trace(events: readonly object[]): string {
  const f = path.join(dir, `c${n++}.jsonl`);
  writeFileSync(f, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return f;
}

const clean = (): string =>
  trace([
    { op: 'acquire', task: 'a', lock: 'A', type: 'mutex' },
    { op: 'acquire', task: 'a', lock: 'B', type: 'mutex' },
    { op: 'release', task: 'a', lock: 'B' },
    { op: 'release', task: 'a', lock: 'A' },
  ]);

/** AB-BA twice over (one problem), then AA on M (another). */
const twoProblems = (): string =>
  trace([
    ...[0, 1].flatMap(() => [
      { op: 'acquire', task: 'x', lock: 'A', type: 'mutex' },
      { op: 'acquire', task: 'x', lock: 'B', type: 'mutex' },
      { op: 'release', task: 'x', lock: 'B' },
      { op: 'release', task: 'x', lock: 'A' },
      { op: 'acquire', task: 'y', lock: 'B' },
      { op: 'acquire', task: 'y', lock: 'A' },
      { op: 'release', task: 'y', lock: 'A' },
      { op: 'release', task: 'y', lock: 'B' },
    ]),
    { op: 'acquire', task: 'z', lock: 'M', type: 'mutex' },
    { op: 'acquire', task: 'z', lock: 'M' },
  ]);

async function run(traces: string[], flags: { all?: boolean; json?: boolean } = {}, stdin?: string): Promise<{ rc: number | string; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), ...(stdin !== undefined ? { stdin: async () => new TextEncoder().encode(stdin) } : {}) };
  try {
    const rc = await lockdepCommand({ traces, all: flags.all === true, json: flags.json === true }, io);
    return { rc, out, err };
  } catch (e) {
    if (isTortureError(e)) return { rc: `${e.code}: ${e.message}`, out, err };
    throw e;
  }
}

describe('torture lockdep FILE... / - / --all / --json', () => {
  it('checks many traces on the pool and prints each whole, in argument order, with its summary', async () => {
    const files = [clean(), seed, clean(), twoProblems()];
    const { rc, out } = await run(files);
    expect(rc).toBe(1);
    const summaries = out.filter((l) => l.startsWith('lockdep: '));
    expect(summaries).toEqual([
      `lockdep: ${files[0]}: 4 events, 1 task, 2 lock classes, 1 dependencies: no problems found`,
      `lockdep: ${seed}: 8 events, 2 tasks, 2 lock classes, 1 dependencies: 1 problem found`,
      `lockdep: ${files[2]}: 4 events, 1 task, 2 lock classes, 1 dependencies: no problems found`,
      expect.stringMatching(/: 1 problem found$/),
    ]);
    // The seed's report sits between the first and the second summary.
    const i = out.indexOf(summaries[0] ?? '');
    expect(out[i + 2]).toBe('WARNING: possible circular locking dependency detected');
  });

  it('--all goes on after the first report and reports each distinct problem once', async () => {
    const f = twoProblems();
    const first = await run([f]);
    expect(first.out.filter((l) => l.startsWith('WARNING: '))).toEqual(['WARNING: possible circular locking dependency detected']);
    const all = await run([f], { all: true });
    expect(all.rc).toBe(1);
    expect(all.out.filter((l) => l.startsWith('WARNING: '))).toEqual(['WARNING: possible circular locking dependency detected', 'WARNING: possible recursive locking detected']);
    expect(all.out.at(-1)).toMatch(/: 18 events, 3 tasks, 3 lock classes, 1 dependencies: 2 problems found$/);
  });

  it('--json writes kind, classes, tasks and trace lines of every finding', async () => {
    const f = twoProblems();
    const { rc, out } = await run([f, clean()], { all: true, json: true });
    expect(rc).toBe(1);
    expect(out).toHaveLength(1);
    const doc = JSON.parse(out[0] ?? '') as { traces: { file: string; status: string; findings: { kind: string; classes: string[]; tasks: string[]; lines: number[]; report: string[] }[] }[] };
    expect(doc.traces.map((t) => t.status)).toEqual(['reported', 'clean']);
    const [circ, aa] = doc.traces[0]?.findings ?? [];
    expect(circ).toMatchObject({ kind: 'circular', classes: ['A', 'B'], tasks: ['y', 'x'], lines: [6, 5, 2] });
    expect(aa).toMatchObject({ kind: 'recursive', classes: ['M'], tasks: ['z'], lines: [18, 17] });
    expect(circ?.report[1]).toBe('WARNING: possible circular locking dependency detected');
  });

  it('reads standard input for -', async () => {
    const { rc, out } = await run(['-'], {}, readFileSync(seed, 'utf8'));
    expect(rc).toBe(1);
    expect(out[1]).toBe('WARNING: possible circular locking dependency detected');
    const two = await run([clean(), '-'], {}, readFileSync(seed, 'utf8'));
    expect(two.out.at(-1)).toBe('lockdep: -: 8 events, 2 tasks, 2 lock classes, 1 dependencies: 1 problem found');
  });

  it('a malformed trace among many: the others are printed, then FILE:LINE, exit 2', async () => {
    const bad = path.join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"op":"acquire","task":"t","lock":"A","type":"mutex"}\n{"op":"acquire","task":"t","lock":"A","type":"spinlock"}\n');
    const ok = clean();
    const { rc, out } = await run([bad, ok]);
    expect(rc).toBe(`TRACE_MALFORMED: ${bad}:2: Cannot acquire 'A' as 'type' must not change (first used as mutex): current value is "spinlock"`);
    expect(out).toEqual([`lockdep: ${ok}: 4 events, 1 task, 2 lock classes, 1 dependencies: no problems found`]);
    expect((await run([ok, '/nonexistent.jsonl'])).rc).toMatch(/^USAGE: .*must be an existing file: current value is \/nonexistent.jsonl$/);
    expect((await run(['-', '-'], {}, '')).rc).toMatch(/^USAGE: Cannot check standard input twice/);
  });
});
