/*
 * objecttorture's history in guest shared memory: one slot per operation call, claimed by the
 * calling task before it invokes, so that every CPU records into one array and the checking CPU
 * reads them all at the end. And the check's outcome, as JSON in a byte region, for the guest's
 * main thread to write beside console.log (`object_history.json`, drawn by the HTML report).
 *
 * A slot is 4 Float64 [call ns, return ns, arg, result] and 4 Int32 [thread, op index, arg tag,
 * result tag]. A tag says what the value is (undefined, null, number, false, true); 0 means not
 * written. The tags are stored last with Atomics.store, pairing with the checker's Atomics.load
 * after every stress task has stopped: a slot with a call tag and no result tag is a pending call.
 */

import { findSymbol } from '../shm/shm_alloc.js';
import type { ObjectCheckRecord } from '../formats/object_check_json.js';
import type { HistoryOp, ObjectValue } from '../linearizability/history.js';

export const HISTORY_F64_SYMBOL = 'object_torture.history_f64';
export const HISTORY_I32_SYMBOL = 'object_torture.history_i32';
export const RESULT_SYMBOL = 'object_torture.result';
/** Words of the result region: room for the minimal history's JSON and its context (256 KiB). */
export const RESULT_WORDS = 64 * 1024;

const F_CALL = 0;
const F_RET = 1;
const F_ARG = 2;
const F_RES = 3;
const I_THREAD = 0;
const I_OP = 1;
const I_ARG_TAG = 2;
const I_RES_TAG = 3;
export const SLOT_F64 = 4;
export const SLOT_I32 = 4;

const TAG_UNDEFINED = 1;
const TAG_NULL = 2;
const TAG_NUMBER = 3;
const TAG_FALSE = 4;
const TAG_TRUE = 5;

function tagOf(v: ObjectValue): number {
  if (v === undefined) return TAG_UNDEFINED;
  if (v === null) return TAG_NULL;
  if (typeof v === 'number') return TAG_NUMBER;
  return v ? TAG_TRUE : TAG_FALSE;
}

function valueOf(tag: number, x: number): ObjectValue {
  switch (tag) {
    case TAG_NULL:
      return null;
    case TAG_NUMBER:
      return x;
    case TAG_FALSE:
      return false;
    case TAG_TRUE:
      return true;
    default:
      return undefined;
  }
}

/** The history arrays of one guest (views over its shared memory). */
export class ObjectHistory {
  readonly f64: Float64Array;
  readonly i32: Int32Array;
  readonly slots: number;
  constructor(f64: Float64Array, i32: Int32Array, slots: number) {
    this.f64 = f64;
    this.i32 = i32;
    this.slots = slots;
  }

  /** Record an invocation in `slot` (claimed by the caller). */
  invoke(slot: number, thread: number, op: number, arg: ObjectValue, callNs: number): void {
    const f = slot * SLOT_F64;
    const i = slot * SLOT_I32;
    this.f64[f + F_CALL] = callNs;
    this.f64[f + F_ARG] = typeof arg === 'number' ? arg : 0;
    this.i32[i + I_THREAD] = thread;
    this.i32[i + I_OP] = op;
    // Publish: pairs with the Atomics.load in read().
    Atomics.store(this.i32, i + I_ARG_TAG, tagOf(arg));
  }

  /** Record the response of the call in `slot`. */
  respond(slot: number, result: ObjectValue, retNs: number): void {
    const f = slot * SLOT_F64;
    this.f64[f + F_RET] = retNs;
    this.f64[f + F_RES] = typeof result === 'number' ? result : 0;
    // Publish: pairs with the Atomics.load in read().
    Atomics.store(this.i32, slot * SLOT_I32 + I_RES_TAG, tagOf(result));
  }

  /** The recorded calls of the first `n` slots (unwritten slots skipped), with their op names. */
  read(n: number, opNames: readonly string[]): HistoryOp[] {
    const out: HistoryOp[] = [];
    for (let s = 0; s < Math.min(n, this.slots); s++) {
      const i = s * SLOT_I32;
      const f = s * SLOT_F64;
      const argTag = Atomics.load(this.i32, i + I_ARG_TAG);
      if (argTag === 0) continue;
      const resTag = Atomics.load(this.i32, i + I_RES_TAG);
      out.push({
        id: out.length,
        thread: this.i32[i + I_THREAD] ?? 0,
        op: opNames[this.i32[i + I_OP] ?? 0] ?? '?',
        arg: valueOf(argTag, this.f64[f + F_ARG] ?? 0),
        result: resTag === 0 ? undefined : valueOf(resTag, this.f64[f + F_RES] ?? 0),
        call: this.f64[f + F_CALL] ?? 0,
        ret: resTag === 0 ? null : (this.f64[f + F_RET] ?? 0),
      });
    }
    return out;
  }
}

export type { ObjectCheckRecord } from '../formats/object_check_json.js';

/** The whole recorded history (objecttorture.dump_history=1), read by the guest's main thread; else null. */
export function readHistoryDump(i32: Int32Array, rec: ObjectCheckRecord | null): HistoryOp[] | null {
  if (rec?.dump === undefined) return null;
  const f = findSymbol(i32, HISTORY_F64_SYMBOL);
  const i = findSymbol(i32, HISTORY_I32_SYMBOL);
  if (f === null || i === null) return null;
  const slots = Math.floor(i.words / SLOT_I32);
  const h = new ObjectHistory(new Float64Array(i32.buffer, f.base * 4, slots * SLOT_F64), new Int32Array(i32.buffer, i.base * 4, slots * SLOT_I32), slots);
  return h.read(rec.dump.slots, rec.dump.opNames);
}

/** Write `rec` into the result region (UTF-8 JSON after a length word); too long: the ops are dropped. */
export function writeCheckRecord(i32: Int32Array, base: number, rec: ObjectCheckRecord): void {
  const enc = new TextEncoder();
  let bytes = enc.encode(JSON.stringify(rec));
  const room = (RESULT_WORDS - 1) * 4;
  if (bytes.length > room) bytes = enc.encode(JSON.stringify({ ...rec, ops: undefined }));
  new Uint8Array(i32.buffer, (base + 1) * 4, bytes.length).set(bytes);
  // Publish the length last: pairs with the Atomics.load in readCheckRecord().
  Atomics.store(i32, base, bytes.length);
}

/** The guest main thread's read of the record (null when objecttorture did not check). */
export function readCheckRecord(i32: Int32Array): ObjectCheckRecord | null {
  const r = findSymbol(i32, RESULT_SYMBOL);
  if (r === null) return null;
  const len = Atomics.load(i32, r.base);
  if (len <= 0) return null;
  // Copied out of the shared buffer: TextDecoder refuses views of a SharedArrayBuffer.
  const bytes = new Uint8Array(i32.buffer, (r.base + 1) * 4, len).slice();
  return JSON.parse(new TextDecoder().decode(bytes)) as ObjectCheckRecord;
}
