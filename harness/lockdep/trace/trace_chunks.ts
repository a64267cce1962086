/*
 * A trace file fed to an incremental TraceReader (trace_parse.ts) one chunk at a time, so that no
 * buffer the size of the file is ever allocated: the reader thread of a pipelined check
 * (trace_read_worker.ts) and the in-thread check (trace_check.ts) read the same way.
 *
 * Guarantees: no more than `size` bytes are read (a file still growing is read as it was when the
 * check started; a stream, size Infinity, is read to its end); a line longer than a chunk grows the
 * buffer (a first line longer than the first chunk included) up to the reader's line limit (the
 * reader refuses a longer one); the bytes after the last newline of a chunk are kept for the next.
 * A stream that has no bytes yet (EAGAIN: a non-blocking pipe) is waited for. The file is
 * closed at the end and on any error (an unreadable file is a TraceUnreadable, a malformed line
 * the parser's TortureError).
 */

import { closeSync, openSync, readSync } from 'node:fs';
import type { TraceReader } from './trace_parse.js';

/** Bytes per chunk after the first. */
export const CHUNK_BYTES = 1 << 20;
/** The first chunk: small, so that validation starts early. */
export const FIRST_CHUNK_BYTES = 1 << 18;

/**
 * A stream's chunks (standard input) fed to `reader` as they arrive: the same events as one
 * parseTrace() of the whole, without the whole in memory (a trace piped in may be larger than any
 * one buffer). The bytes after a chunk's last newline are carried to the next; the reader refuses
 * a carried line past its limit, so the carry stays small.
 */
export async function feedStream(chunks: AsyncIterable<Uint8Array>, reader: TraceReader): Promise<void> {
  let carry = new Uint8Array(0);
  for await (const c of chunks) {
    let buf = c;
    if (carry.length > 0) {
      buf = new Uint8Array(carry.length + c.length);
      buf.set(carry);
      buf.set(c, carry.length);
    }
    carry = buf.slice(reader.feed(buf, false));
  }
  reader.feed(carry, true);
}

/** A word to sleep on between reads of a stream that has no bytes yet. */
const EAGAIN_SLEEP = new Int32Array(new SharedArrayBuffer(4));

/** The file could not be opened or read (the message is the system's). */
export class TraceUnreadable extends Error {}

/** The `FILE:0: ...` message of a trace that cannot be read, whichever thread finds it. */
export function unreadableMessage(file: string, e: unknown): string {
  return `${file}:0: Cannot read the trace as '${file}' must be a readable file: ${e instanceof Error ? e.message : String(e)}`;
}

export class TraceChunks {
  readonly #reader: TraceReader;
  readonly #size: number;
  #fd = -1;
  #buf: Uint8Array;
  #have = 0;
  #first = true;
  /** Bytes parsed so far (through the last complete line fed). */
  consumed = 0;
  /** True once the last chunk was fed (the file is parsed to its end). */
  done = false;

  constructor(file: string, size: number, reader: TraceReader) {
    this.#reader = reader;
    this.#size = size;
    this.#buf = new Uint8Array(CHUNK_BYTES);
    try {
      this.#fd = openSync(file, 'r');
    } catch (e) {
      throw new TraceUnreadable((e as Error).message);
    }
  }

  /** Read and parse one more chunk (a TortureError for a malformed line); false once at the end. */
  step(): boolean {
    if (this.done) return false;
    const limit = this.#first ? FIRST_CHUNK_BYTES : CHUNK_BYTES;
    this.#first = false;
    // The bytes kept from the last chunk (a line not yet complete) stay in front of the new ones.
    if (this.#have + limit > this.#buf.length) {
      const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#have + limit));
      bigger.set(this.#buf.subarray(0, this.#have));
      this.#buf = bigger;
    }
    const want = Math.max(0, Math.min(limit, this.#size - this.consumed - this.#have));
    let got: number;
    try {
      got = want > 0 ? this.#read(want) : 0;
    } catch (e) {
      this.close();
      throw new TraceUnreadable((e as Error).message);
    }
    this.#have += got;
    const last = got === 0;
    let used: number;
    try {
      used = this.#reader.feed(this.#buf.subarray(0, this.#have), last);
    } catch (e) {
      this.close();
      throw e;
    }
    this.consumed += used;
    this.#buf.copyWithin(0, used, this.#have);
    this.#have -= used;
    if (last) {
      this.done = true;
      this.close();
    }
    return !last;
  }

  /** readSync, waiting out EAGAIN (a pipe opened non-blocking by its writer's side has no bytes yet). */
  #read(want: number): number {
    for (;;) {
      try {
        return readSync(this.#fd, this.#buf, this.#have, want, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        // Nothing to wait on but time: no other thread posts to this word.
        Atomics.wait(EAGAIN_SLEEP, 0, 0, 5);
      }
    }
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }
}
