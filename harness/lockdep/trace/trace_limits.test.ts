// Pathological traces (trace_limits.ts): each gets a verdict or one `FILE:LINE:` message naming
// the limit, never an internal error; FIFOs and /dev/fd/N (process substitution) are read as
// streams. The command-line cases run the built launcher (`npm test` builds first).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isTortureError } from '../../errors.js';
import { checkTraceFile, checkTraceFileFast, type TraceCheckOptions } from './trace_check.js';
import { lockdepCommand } from './trace_cli.js';
import { generateTrace } from './trace_gen.js';
import { TRACE_LIMITS } from './trace_limits.js';
import { parseTrace, TraceReader } from './trace_parse.js';
import { makeTestTempDir } from '../../test_support/temp_dir.js';
import { traceOutcome, type TraceOutcome } from '../test_support/trace_outcome.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'torture.js');
const dir = makeTestTempDir('limits');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ev = (o: object): string => JSON.stringify(o);
const acquire = (task: string, lock: string, more: object = {}): string => ev({ op: 'acquire', task, lock, type: 'mutex', ...more });

function write(name: string, lines: readonly string[]): string {
  const f = path.join(dir, name);
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

/** The outcome of checking `file` (in-thread unless `check` says otherwise). */
const run = (file: string, opts: TraceCheckOptions = {}, check: typeof checkTraceFile = checkTraceFile): TraceOutcome => traceOutcome(check, file, opts);

function malformed(text: string): string {
  try {
    parseTrace('t.jsonl', text);
  } catch (e) {
    if (isTortureError(e)) return e.message;
    throw e;
  }
  return 'parsed';
}

/** `node bin/torture.js ARGS` through `sh -c` (for FIFOs and process substitution): its exit code and output. */
function torture(script: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // The shell's $0 is the node binary, $1 the launcher, $2... the arguments.
    execFile('bash', ['-c', script, process.execPath, BIN, ...args], { timeout: 50_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('traces of any size and shape', () => {
  it('a 10 MB lock name: the line limit, FILE:LINE, from a file read in chunks and from bytes read whole', () => {
    const line = acquire('t', 'x'.repeat(10_000_000));
    const f = write('long_name.jsonl', [acquire('t', 'a'), line]);
    // Read in chunks, the line is refused as soon as its start outgrows the limit.
    const r = run(f);
    expect('error' in r && r.error.startsWith(`${f}:2: `)).toBe(true);
    expect(r).toEqual({ error: expect.stringMatching(/:2: Cannot read the line as it must be at most 1,048,576 bytes: current value is at least [\d,]+ bytes$/) });
    expect(malformed(line + '\n')).toBe(`t.jsonl:1: Cannot read the line as it must be at most 1,048,576 bytes: current value is ${line.length.toLocaleString('en-US')} bytes`);
    // A comment is a line too.
    expect(malformed(`# ${'c'.repeat(2_000_000)}\n`)).toBe('t.jsonl:1: Cannot read the line as it must be at most 1,048,576 bytes: current value is 2,000,002 bytes');
    // An unknown key's value is bounded by the same limit (the byte scanner would accept the line).
    expect(malformed(ev({ op: 'irqs_disable', task: 't', note: 'n'.repeat(2_000_000) }))).toMatch(/^t\.jsonl:1: Cannot read the line as it must be at most 1,048,576 bytes: current value is 2,000,0\d\d bytes$/);
  });

  it('standard input is parsed as it arrives, never held whole: a 10 MB line is refused once it outgrows the limit', async () => {
    const f = write('long_stdin.jsonl', [acquire('t', 'a'), acquire('t', 'x'.repeat(10_000_000))]);
    const r = await torture('"$0" "$1" lockdep - < "$2"', f);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^torture: -:2: Cannot read the line as it must be at most 1,048,576 bytes: current value is at least [\d,]+ bytes$/);
    const seed = path.join(ROOT, 'harness', 'lockdep', 'examples', 'seed.jsonl');
    const piped = await torture('cat "$2" | "$0" "$1" lockdep -', seed);
    const named = await torture('"$0" "$1" lockdep "$2"', seed);
    expect(piped).toEqual({ ...named, stdout: named.stdout.replaceAll(`${seed}:`, '-:') });
  });

  it('a line nested 100,000 levels deep is malformed, and so is one level past the limit; the limit itself is read', () => {
    const nested = (d: number): string => `{"op":"acquire","task":"t","lock":"a","type":"mutex","x":${'['.repeat(d)}${']'.repeat(d)}}`;
    const message = 't.jsonl:1: Cannot parse the line as it must nest at most 16 levels: current value is more than 16 levels';
    expect(malformed(nested(100_000))).toBe(message);
    expect(malformed(nested(TRACE_LIMITS.depth))).toBe(message);
    expect(malformed(nested(TRACE_LIMITS.depth - 1))).toBe('parsed');
    // Brackets inside strings are not nesting.
    expect(malformed(ev({ op: 'acquire', task: 't', lock: '['.repeat(100), type: 'mutex', stack: ['{'.repeat(100)] }))).toBe('parsed');
  });

  it('names and frames past their limits: the value shown cut short, with its length', () => {
    const at = (n: number, c = 'x'): string => c.repeat(n);
    expect(malformed(acquire('t', at(1024)) + '\n' + acquire(at(1024), 'a'))).toBe('parsed');
    expect(malformed(acquire('t', at(1025)))).toBe(`t.jsonl:1: Cannot acquire as 'lock' must be at most 1,024 characters: current value is "${at(64)}"... (1,025 characters)`);
    expect(malformed(ev({ op: 'release', task: 't', lock: at(5000) }))).toMatch(/^t\.jsonl:1: Cannot release as 'lock' must be at most 1,024 characters: .*\(5,000 characters\)$/);
    // A name that is not ASCII takes the JSON.parse reader: the same limit, in characters.
    expect(malformed(ev({ op: 'irqs_disable', task: at(2000, 'é') }))).toMatch(/^t\.jsonl:1: Cannot read the event as 'task' must be at most 1,024 characters: current value is "é+"\.\.\. \(2,000 characters\)$/);
    expect(malformed(acquire('t', 'a', { stack: ['f', at(513, 'g')] }))).toMatch(/^t\.jsonl:1: Cannot read the event as a frame of 'stack' must be at most 512 characters: current value is "g+"\.\.\. \(513 characters\)$/);
    expect(malformed(acquire('t', 'a', { stack: [at(512, 'g')] }))).toBe('parsed');
  });

  it('a stack on every line costs its distinct stacks: one array per stack, frames compared (NUL in a frame is no alias)', () => {
    const t = parseTrace('t.jsonl', [acquire('t', 'a', { stack: ['f', 'g'] }), acquire('u', 'b', { stack: ['f', 'g'] }), acquire('v', 'c', { stack: ['f\u0000g'] }), acquire('w', 'd', { stack: ['f', 'g', 'h'] })].join('\n'));
    expect(t.stacks.get(1)).toBe(t.stacks.get(0));
    expect([...t.stacks.values()]).toEqual([['f', 'g'], ['f', 'g'], ['f\u0000g'], ['f', 'g', 'h']]);
  });

  it('more events than the limit: FILE:LINE naming it (a smaller limit than the default, as the reader takes)', () => {
    const r = new TraceReader('t.jsonl', 0, false, { ...TRACE_LIMITS, events: 100 });
    const text = Array.from({ length: 150 }, (_, i) => ev({ op: i % 2 === 0 ? 'irqs_disable' : 'irqs_enable', task: 't' })).join('\n') + '\n';
    expect(() => r.feed(new TextEncoder().encode(text), true)).toThrow('t.jsonl:101: Cannot read the event as a trace must have at most 100 events: current value is more');
  });

  it('100,000 distinct classes: the kernel report BUG: MAX_LOCKDEP_KEYS too low!, a verdict, in-thread and pipelined', () => {
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(acquire('t', `c${i}`), ev({ op: 'release', task: 't', lock: `c${i}` }));
    const f = write('classes.jsonl', lines);
    const slow = run(f);
    expect(slow).toMatchObject({ result: { rc: 1, events: 200_000, findings: [{ kind: 'capacity', title: 'BUG: MAX_LOCKDEP_KEYS too low!' }] } });
    expect('lines' in slow && slow.lines.slice(0, 2)).toEqual(['BUG: MAX_LOCKDEP_KEYS too low!', 'turning off the locking correctness validator.']);
    // The class past the limit is named with its trace line.
    expect('lines' in slow && slow.lines).toContain(` t: acquire c${TRACE_LIMITS.keys} (classes.jsonl:${2 * TRACE_LIMITS.keys + 1})`);
    expect(run(f, { pipeline: true, pipelineMinBytes: 1 << 20 }, checkTraceFileFast)).toEqual(slow);
    // --all: the report, then the summary of the whole trace.
    const all = run(f, { all: true });
    expect('lines' in all && all.lines.at(-1)).toBe(`lockdep: ${f}: 200000 events, 1 task, 100000 lock classes, 0 dependencies: 1 problem found`);
  });

  it('100,000 locks held by one task then released bottom first: the kernel report MAX_LOCK_DEPTH, in linear time', () => {
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(acquire('t', `c${i % 50_000}`, { subclass: i < 50_000 ? 0 : 1 }));
    for (let i = 0; i < 100_000; i++) lines.push(ev({ op: 'release', task: 't', lock: `c${i % 50_000}`, subclass: i < 50_000 ? 0 : 1 }));
    const r = run(write('deep.jsonl', lines));
    expect(r).toMatchObject({ result: { rc: 1, events: 200_000, findings: [{ kind: 'capacity', title: 'BUG: MAX_LOCK_DEPTH too low!' }] } });
  });

  it('a FIFO written by another process is read as a stream: the verdict of the same trace in a file', async () => {
    // 100,000 events: many pipe buffers, lines split across reads.
    const text = generateTrace({ events: 100_000, classes: 200, tasks: 8 });
    const file = path.join(dir, 'gen.jsonl');
    writeFileSync(file, text);
    const fifo = path.join(dir, 'trace.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('cp', [file, fifo], { stdio: 'ignore' });
    const writerDone = new Promise<number | null>((resolve) => writer.on('exit', resolve));
    const r = await torture('"$0" "$1" lockdep "$2"', fifo);
    // A reader that failed before opening the FIFO leaves the writer blocked in open(): end it.
    if (r.code !== 0) writer.kill();
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(await writerDone).toBe(0);
    const byFile = run(file);
    expect('lines' in byFile && byFile.lines.map((l) => l.replace(file, fifo))).toEqual([r.stdout.trimEnd()]);
  });

  it('process substitution (/dev/fd/N) is read as a stream, alone and beside a file', async () => {
    const file = write('abba.jsonl', [acquire('x', 'A'), acquire('x', 'B'), ev({ op: 'release', task: 'x', lock: 'B' }), ev({ op: 'release', task: 'x', lock: 'A' })]);
    const alone = await torture('"$0" "$1" lockdep <(cat "$2")', file);
    expect(alone).toMatchObject({ code: 0, stderr: '' });
    expect(alone.stdout).toMatch(/^lockdep: \/dev\/fd\/\d+: 4 events, 1 task, 2 lock classes, 1 dependencies: no problems found\n$/);
    const two = await torture('"$0" "$1" lockdep "$2" <(cat "$2")', file);
    expect(two).toMatchObject({ code: 0, stderr: '' });
    expect(two.stdout.split('\n')).toEqual([`lockdep: ${file}: 4 events, 1 task, 2 lock classes, 1 dependencies: no problems found`, expect.stringMatching(/^lockdep: \/dev\/fd\/\d+: 4 events/), '']);
  });

  it('a directory is not a trace, a FIFO named twice would be split between two readers: one line, exit 2, nothing read', async () => {
    const r = await torture('"$0" "$1" lockdep "$2"', dir);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`torture: Cannot check a lock trace as 'TRACE.jsonl' must be an existing file: current value is ${dir}`);
    const fifo = path.join(dir, 'twice.fifo');
    execFileSync('mkfifo', [fifo]);
    // Refused before any trace is opened (opening a FIFO without a writer would block).
    const io = { out: (): void => {}, err: (): void => {} };
    await expect(lockdepCommand({ traces: [fifo, fifo], all: false, json: false }, io)).rejects.toThrow(`Cannot check ${fifo} twice as a pipe must be given at most once: current value is ${fifo} ${fifo}`);
  });
});
