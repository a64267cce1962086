/*
 * The byte scanner of the trace reader: one event line of the usual shape (a flat object of ASCII
 * strings, small non-negative integers and booleans, no escapes) read straight from the bytes into
 * a reused ScannedEvent, without making a string. It only checks syntax and the values' kinds; any
 * doubt returns -1 and the line goes to the JSON.parse path (trace_parse.ts), which alone writes
 * the error messages. The semantic checks (which keys an op allows, the lock's type) are the
 * reader's.
 */

import { FNV1A_OFFSET_BASIS, fnv1aStep } from '../../lib/fnv1a.js';
import { OPS, TRACE_TYPES } from './trace_format.js';

/* Byte constants. */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
export const LBRACE = 0x7b;
const RBRACE = 0x7d;
export const HASH = 0x23;

/** Whitespace between tokens (a newline ends the line instead). */
export function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const OP_BYTES = OPS.map(enc);
const TYPE_BYTES = TRACE_TYPES.map(enc);
const READ = enc('read');
const WRITE = enc('write');
const SUBCLASS = enc('subclass');
const TRY = enc('try');
const TRUE = enc('true');
const FALSE = enc('false');
const KNOWN_KEYS = ['op', 'task', 'lock', 'type', 'mode', 'subclass', 'try', 'stack'].map(enc);

function eqBytes(b: Uint8Array, s: number, e: number, w: Uint8Array): boolean {
  if (e - s !== w.length) return false;
  for (let i = 0; i < w.length; i++) if (b[s + i] !== w[i]) return false;
  return true;
}

/** One scanned event line: which keys it had and where their values are in the buffer. */
export interface ScannedEvent {
  /** Index in OPS. */
  code: number;
  /** Bytes [tS, tE) of the task name and their FNV-1a hash. */
  tS: number;
  tE: number;
  tH: number;
  hasLock: boolean;
  lS: number;
  lE: number;
  lH: number;
  /** Index in TRACE_TYPES, -1 when absent. */
  type: number;
  /** 0 absent, 1 write, 2 read. */
  mode: number;
  /** Subclass, -1 when absent. */
  sb: number;
  /** try: 1 true, 0 false, -1 absent. */
  tr: number;
}

/** A fresh ScannedEvent for a reader to reuse. */
export function scannedEvent(): ScannedEvent {
  return { code: -1, tS: 0, tE: 0, tH: 0, hasLock: false, lS: 0, lE: 0, lH: 0, type: -1, mode: 0, sb: -1, tr: -1 };
}

/**
 * Scan the event line of `b` starting at `s` (its `{`) and ending before `e` or at its newline into
 * `out`; returns the position after the line, or -1 when the line is not of the usual shape.
 */
export function scanEvent(b: Uint8Array, s: number, e: number, out: ScannedEvent): number {
  let i = s;
  if (b[i] !== LBRACE) return -1;
  i++;
  let code = -1;
  let t = -1;
  let tS = 0;
  let tE = 0;
  let tH = 0;
  let lS = 0;
  let lE = 0;
  let lH = 0;
  let hasLock = false;
  let type = -1;
  let mode = 0; // 0 absent, 1 write, 2 read
  let sb = -1;
  let tr = -1;
  for (;;) {
    while (i < e && isWs(b[i] ?? 0)) i++;
    if (b[i] !== QUOTE) return -1;
    const ks = ++i;
    while (i < e && b[i] !== QUOTE) {
      if (b[i] === BACKSLASH || (b[i] ?? 0) < 0x20) return -1;
      i++;
    }
    if (i >= e) return -1;
    const ke = i++;
    while (i < e && isWs(b[i] ?? 0)) i++;
    if (b[i] !== COLON) return -1;
    i++;
    while (i < e && isWs(b[i] ?? 0)) i++;
    const c = b[i] ?? 0;
    const klen = ke - ks;
    const k0 = b[ks] ?? 0;
    if (c === QUOTE) {
      const vs = ++i;
      // fnv1a() of the value's bytes, computed on the way (ASCII: equal to the string's).
      let h = FNV1A_OFFSET_BASIS;
      while (i < e) {
        const x = b[i] ?? 0;
        if (x === QUOTE) break;
        if (x === BACKSLASH || x < 0x20 || x >= 0x80) return -1;
        h = fnv1aStep(h, x);
        i++;
      }
      if (i >= e) return -1;
      const ve = i++;
      if (klen === 2 && k0 === 0x6f && b[ks + 1] === 0x70) {
        // "op"
        code = -1;
        for (let k = 0; k < OP_BYTES.length; k++) {
          if (eqBytes(b, vs, ve, OP_BYTES[k] ?? enc(''))) {
            code = k;
            break;
          }
        }
        if (code < 0) return -1;
      } else if (klen === 4 && k0 === 0x74 && b[ks + 1] === 0x61 && b[ks + 2] === 0x73 && b[ks + 3] === 0x6b) {
        // "task"
        if (ve === vs) return -1;
        tS = vs;
        tE = ve;
        tH = h >>> 0;
        t = 0;
      } else if (klen === 4 && k0 === 0x6c && b[ks + 1] === 0x6f && b[ks + 2] === 0x63 && b[ks + 3] === 0x6b) {
        // "lock"
        if (ve === vs) return -1;
        lS = vs;
        lE = ve;
        lH = h >>> 0;
        hasLock = true;
      } else if (klen === 4 && k0 === 0x74 && b[ks + 1] === 0x79 && b[ks + 2] === 0x70 && b[ks + 3] === 0x65) {
        // "type"
        type = -1;
        for (let k = 0; k < TYPE_BYTES.length; k++) {
          if (eqBytes(b, vs, ve, TYPE_BYTES[k] ?? enc(''))) {
            type = k;
            break;
          }
        }
        if (type < 0) return -1;
      } else if (klen === 4 && k0 === 0x6d && b[ks + 1] === 0x6f && b[ks + 2] === 0x64 && b[ks + 3] === 0x65) {
        // "mode"
        if (eqBytes(b, vs, ve, WRITE)) mode = 1;
        else if (eqBytes(b, vs, ve, READ)) mode = 2;
        else return -1;
      } else if ((klen === 8 && k0 === 0x73 && b[ks + 1] === 0x75) || (klen === 3 && k0 === 0x74 && b[ks + 1] === 0x72) || (klen === 5 && k0 === 0x73 && b[ks + 1] === 0x74)) {
        // "subclass", "try" or "stack" with a string value: a type error for the slow path.
        return -1;
      }
    } else if (c >= 0x30 && c <= 0x39) {
      // A small non-negative integer; anything else (sign, fraction, exponent) goes slow.
      let v = 0;
      while (i < e && (b[i] ?? 0) >= 0x30 && (b[i] ?? 0) <= 0x39) {
        v = v * 10 + ((b[i] ?? 0) - 0x30);
        i++;
        if (v > 1e6) return -1;
      }
      const x = b[i] ?? 0;
      if (x === 0x2e || x === 0x65 || x === 0x45) return -1;
      if (klen === 8 && k0 === 0x73 && b[ks + 1] === 0x75) {
        if (!eqBytes(b, ks, ke, SUBCLASS) || v > 7) return -1;
        sb = v;
      } else if (!isOtherKey(b, ks, ke)) return -1;
    } else if (c === 0x74 || c === 0x66) {
      const val = c === 0x74;
      const w = val ? TRUE : FALSE;
      if (!eqBytes(b, i, i + w.length, w)) return -1;
      i += w.length;
      if (klen === 3 && eqBytes(b, ks, ke, TRY)) tr = val ? 1 : 0;
      else if (!isOtherKey(b, ks, ke)) return -1;
    } else {
      // null, arrays (stack), nested objects, negative numbers: the slow path decides.
      return -1;
    }
    while (i < e && isWs(b[i] ?? 0)) i++;
    const sep = b[i] ?? 0;
    i++;
    if (sep === COMMA) continue;
    if (sep === RBRACE) break;
    return -1;
  }
  while (i < e && isWs(b[i] ?? 0)) i++;
  if ((i < e && b[i] !== 10) || code < 0 || t < 0) return -1;
  out.code = code;
  out.tS = tS;
  out.tE = tE;
  out.tH = tH;
  out.hasLock = hasLock;
  out.lS = lS;
  out.lE = lE;
  out.lH = lH;
  out.type = type;
  out.mode = mode;
  out.sb = sb;
  out.tr = tr;
  return i + 1;
}

/** A key the format does not use (its value is ignored, as JSON.parse's reader ignores it). */
function isOtherKey(b: Uint8Array, s: number, e: number): boolean {
  for (const k of KNOWN_KEYS) if (eqBytes(b, s, e, k)) return false;
  return true;
}

const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/**
 * Whether the JSON text in bytes [s, e) nests deeper than `max` levels (objects and arrays, not
 * counting brackets inside strings). Checked before JSON.parse so that a line nested a million
 * levels deep is a malformed line, not a recursion through its value afterwards.
 */
export function nestsDeeperThan(b: Uint8Array, s: number, e: number, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = s; i < e; i++) {
    const c = b[i] ?? 0;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === LBRACE || c === LBRACKET) {
      if (++depth > max) return true;
    } else if (c === RBRACE || c === RBRACKET) depth--;
  }
  return false;
}
