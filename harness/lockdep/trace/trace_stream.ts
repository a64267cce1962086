/*
 * The checking half of a pipelined `torture lockdep` check: a TraceSource fed by the reader
 * thread (trace_read_worker.ts), which reads and parses the file while this thread validates the
 * events it already has. Synchronous: more() sleeps in Atomics.wait until the reader posts, then
 * takes the message with receiveMessageOnPort, so the check stays one synchronous call.
 *
 * Guarantees: events, names, types and stacks are exactly parseTrace()'s of the whole file (the
 * same incremental reader runs over the chunks); a malformed file throws the same TortureError
 * from drain(). A reader thread that never answers (for instance it could not start) is an error
 * after READER_TIMEOUT_MS without a message, never a hang.
 */

import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { TortureError } from '../../errors.js';
import type { ReadMessage, ReadWorkerData } from './trace_read_worker.js';
import { traceBounds } from './trace_bounds.js';
import { StackInterner } from './trace_interner.js';
import type { ParsedTrace, TraceColumns, TraceTables, TraceType } from './trace_format.js';

/** What runTrace() reads: the events so far, and a way to wait for more. */
export interface TraceSource extends TraceColumns, TraceTables {
  readonly file: string;
  /** Events available so far. */
  readonly n: number;
  /** True when n is the whole trace. */
  readonly done: boolean;
  /** Wait until more events are available or the trace is complete; false when complete. */
  more(): boolean;
  /** Wait for the whole trace (throws the malformed-input error, if any). */
  drain(): void;
  /** The whole trace, with its bounds (after drain()). */
  whole(): ParsedTrace;
}

/** A trace already parsed whole. */
export function parsedSource(t: ParsedTrace): TraceSource {
  return {
    ...t,
    done: true,
    more: () => false,
    drain: () => {},
    whole: () => t,
  };
}

const READER_TIMEOUT_MS = 60_000;

/** The events of `file` as the reader thread `workerFile` parses them; `size` is the file's size. */
export class StreamSource implements TraceSource {
  readonly file: string;
  n = 0;
  done = false;
  op: Uint8Array;
  task: Int32Array;
  lock: Int32Array;
  sub: Int8Array;
  flags: Uint8Array;
  line: Int32Array;
  readonly stacks = new Map<number, readonly string[]>();
  readonly #stackIds = new StackInterner();
  readonly taskNames: string[] = [];
  readonly lockNames: string[] = [];
  readonly lockTypes: (TraceType | undefined)[] = [];
  readonly #worker: Worker;
  readonly #port;
  readonly #signal: Int32Array;
  #received = 0;
  /** Milliseconds this thread slept waiting for the reader (a measure of who is the bottleneck). */
  waitedMs = 0;
  /** Bytes parsed so far, as of the last batch. */
  consumed = 0;
  #error: TortureError | Error | null = null;

  constructor(file: string, size: number, workerFile: string) {
    this.file = file;
    // Until the reader's shared columns arrive (its first message).
    this.op = new Uint8Array(0);
    this.task = new Int32Array(0);
    this.lock = new Int32Array(0);
    this.sub = new Int8Array(0);
    this.flags = new Uint8Array(0);
    this.line = new Int32Array(0);
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const signal = new SharedArrayBuffer(8);
    this.#signal = new Int32Array(signal);
    const data: ReadWorkerData = { file, size, port: port2, signal };
    this.#worker = new Worker(workerFile, { workerData: data, transferList: [port2] });
    // The reader ends by itself after its last message; it must not keep the process alive.
    this.#worker.unref();
  }

  more(): boolean {
    if (this.done) return false;
    const before = this.n;
    while (!this.done && this.n === before) this.#take();
    return this.n > before;
  }

  drain(): void {
    while (!this.done) this.#take();
    if (this.#error !== null) throw this.#error;
  }

  whole(): ParsedTrace {
    this.drain();
    const n = this.n;
    return {
      file: this.file,
      n,
      op: this.op.subarray(0, n),
      task: this.task.subarray(0, n),
      lock: this.lock.subarray(0, n),
      sub: this.sub.subarray(0, n),
      flags: this.flags.subarray(0, n),
      line: this.line.subarray(0, n),
      stacks: this.stacks,
      taskNames: this.taskNames,
      lockNames: this.lockNames,
      lockTypes: this.lockTypes,
      bounds: traceBounds(n, this.op, this.task, this.lock, this.sub, this.lockNames),
    };
  }

  /** Take one message, sleeping until the reader posts it. */
  #take(): void {
    let waited = 0;
    for (;;) {
      const m = receiveMessageOnPort(this.#port) as { message: ReadMessage } | undefined;
      if (m !== undefined) {
        this.#received++;
        this.#apply(m.message);
        return;
      }
      // Pairs with the Atomics.add / notify after each postMessage in the reader: when the count
      // is past what was received, the message is already queued on the port.
      if (Atomics.load(this.#signal, 0) === this.#received) {
        const t0 = Date.now();
        Atomics.wait(this.#signal, 0, this.#received, 1000);
        waited += Date.now() - t0;
        this.waitedMs += Date.now() - t0;
        if (waited > READER_TIMEOUT_MS) {
          this.#finish(new Error(`lockdep: the trace reader thread for ${this.file} did not answer in ${READER_TIMEOUT_MS / 1000} s`));
          return;
        }
      }
    }
  }

  #finish(e: TortureError | Error | null): void {
    this.done = true;
    this.#error = e;
    this.#port.close();
  }

  #apply(m: ReadMessage): void {
    if (m.kind === 'end') {
      this.#finish(null);
      return;
    }
    if (m.kind === 'error') {
      this.#finish(m.malformed ? new TortureError('TRACE_MALFORMED', m.message) : new Error(m.message));
      return;
    }
    if (m.kind === 'columns') {
      ({ op: this.op, task: this.task, lock: this.lock, sub: this.sub, flags: this.flags, line: this.line } = m);
      return;
    }
    for (const x of m.taskNames) this.taskNames.push(x);
    for (const x of m.lockNames) this.lockNames.push(x);
    for (const [l, ty] of m.lockTypes) this.lockTypes[l] = ty;
    // A batch's clone shares a repeated stack within the batch only: interned again across batches.
    for (const [i, st] of m.stacks) this.stacks.set(i, this.#stackIds.intern(st));
    this.consumed = m.consumed;
    // The reader filled the shared columns up to m.n before posting (its Atomics.add follows).
    this.n = m.n;
  }
}
