/*
 * The reading half of a pipelined `torture lockdep` check (trace_stream.ts is the other half): in
 * its own thread, read the trace file in chunks, parse each chunk's lines with trace_parse.ts's
 * incremental reader (trace_chunks.ts) into columns in SharedArrayBuffers, and post after each
 * chunk how far they are filled, so the checking thread validates one batch while this one reads
 * and parses the next.
 *
 * Protocol (messages on the given port, in order): `columns` (the shared columns, once), any
 * number of `batch`, then exactly one of
 * `end` (the bounds of the whole trace) or `error` (the malformed-input message, or a crash).
 * After each message the posted-message count in `signal[0]` is bumped and notified, so the
 * checking thread can sleep in Atomics.wait and take the message with receiveMessageOnPort.
 */

import { workerData, type MessagePort } from 'node:worker_threads';
import { isTortureError } from '../../errors.js';
import { TraceChunks, TraceUnreadable, unreadableMessage } from './trace_chunks.js';
import type { TraceColumns, TraceType } from './trace_format.js';
import { TraceReader } from './trace_parse.js';

export interface ReadWorkerData {
  readonly file: string;
  readonly size: number;
  readonly port: MessagePort;
  /** Int32 words: [0] messages posted (the checking thread waits on it). */
  readonly signal: SharedArrayBuffer;
}

/** The reader's columns, once: SharedArrayBuffers the checking thread reads as they fill. */
export interface ColumnsMessage extends TraceColumns {
  readonly kind: 'columns';
}

export interface BatchMessage {
  readonly kind: 'batch';
  /** Events in the columns so far (the batch is the events since the previous one). */
  readonly n: number;
  /** Names first seen in this batch (ids continue from the previous batches). */
  readonly taskNames: readonly string[];
  readonly lockNames: readonly string[];
  /** Locks whose type was set in this batch (a lock's type is set by its first acquire). */
  readonly lockTypes: readonly (readonly [number, TraceType])[];
  readonly stacks: readonly (readonly [number, readonly string[]])[];
  /** Bytes of the file parsed so far. */
  readonly consumed: number;
}

export type ReadMessage =
  | ColumnsMessage
  | BatchMessage
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly malformed: boolean; readonly message: string };

function main(d: ReadWorkerData): void {
  const signal = new Int32Array(d.signal);
  const post = (m: ReadMessage, transfer: ArrayBuffer[] = []): void => {
    d.port.postMessage(m, transfer);
    // Pairs with the Atomics.load / Atomics.wait in trace_stream.ts: the message is queued first.
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  try {
    const r = new TraceReader(d.file, d.size, true);
    {
      const c = r.soFar();
      post({ kind: 'columns', op: c.op, task: c.task, lock: c.lock, sub: c.sub, flags: c.flags, line: c.line });
    }
    let sent = 0;
    let tasksSent = 0;
    let locksSent = 0;
    const typesSent: (TraceType | undefined)[] = [];
    const flush = (consumed: number): void => {
      const s = r.soFar();
      if (s.n === sent) return;
      const stacks: [number, readonly string[]][] = [];
      for (const [i, st] of s.stacks) if (i >= sent) stacks.push([i, st]);
      const types: [number, TraceType][] = [];
      for (let l = 0; l < s.lockTypes.length; l++) {
        const ty = s.lockTypes[l];
        if (ty !== undefined && typesSent[l] !== ty) {
          typesSent[l] = ty;
          types.push([l, ty]);
        }
      }
      // The columns are shared: the message says how far they are filled.
      post({ kind: 'batch', n: s.n, taskNames: s.taskNames.slice(tasksSent), lockNames: s.lockNames.slice(locksSent), lockTypes: types, stacks, consumed });
      sent = s.n;
      tasksSent = s.taskNames.length;
      locksSent = s.lockNames.length;
    };
    try {
      const chunks = new TraceChunks(d.file, d.size, r);
      // Through feed(), a chunk's events are in the shared columns before its batch says so.
      let more: boolean;
      do {
        more = chunks.step();
        flush(chunks.consumed);
      } while (more);
    } catch (e) {
      if (!(e instanceof TraceUnreadable)) throw e;
      post({ kind: 'error', malformed: true, message: unreadableMessage(d.file, e) });
      return;
    }
    // The bounds of the whole trace are the checking thread's to compute, when it needs them.
    post({ kind: 'end' });
  } catch (e) {
    post({ kind: 'error', malformed: isTortureError(e), message: e instanceof Error ? e.message : String(e) });
  }
}

main(workerData as ReadWorkerData);
