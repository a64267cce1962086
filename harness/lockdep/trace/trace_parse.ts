/*
 * The reader of `torture lockdep` traces: JSONL bytes -> columns of events (typed arrays), with
 * task and lock names interned. Format: see trace_check.ts and the folder's README.
 *
 * Two readers, one result: a byte scanner for the shapes traces have (one flat object of
 * string / integer / boolean values, ASCII names, no escapes) and JSON.parse for everything else.
 * The scanner only accepts a line it can prove well-formed; any doubt (escapes, nesting, floats,
 * an unknown op, a missing field, a type error) sends the line to the JSON.parse path, which
 * alone produces the `FILE:LINE: what is wrong` messages. So the two can never disagree on an
 * error, and a well-formed line gives the same event either way.
 *
 * Guarantees: the whole input is checked before anything is validated; memory is about 15 bytes
 * per event plus the names; irq nesting (an exit without an enter) is checked per task, as the
 * context is per task.
 */

import { TortureError } from '../../errors.js';
import { LOCK_TYPES, type LockType } from '../../kapi.js';
import { FNV1A_OFFSET_BASIS, fnv1a, fnv1aStep } from '../../lib/fnv1a.js';

/** The lock types a trace may name: kapi's LOCK_TYPES less the kernel-internal `rcu` and `user` maps. */
export type TraceType = Exclude<LockType, 'rcu' | 'user'>;
export const TRACE_TYPES: readonly TraceType[] = LOCK_TYPES.filter((t): t is TraceType => t !== 'rcu' && t !== 'user');
export const IRQ_OPS = ['hardirq_enter', 'hardirq_exit', 'softirq_enter', 'softirq_exit', 'irqs_disable', 'irqs_enable', 'bh_disable', 'bh_enable'] as const;
export type IrqOp = (typeof IRQ_OPS)[number];
/** Event codes: 0 acquire, 1 release, 2 + index in IRQ_OPS. */
export const OPS = ['acquire', 'release', ...IRQ_OPS] as const;
export type TraceOp = (typeof OPS)[number];
export const OP_ACQUIRE = 0;
export const OP_RELEASE = 1;
export const OP_HARDIRQ_ENTER = 2;
export const OP_HARDIRQ_EXIT = 3;
export const OP_SOFTIRQ_ENTER = 4;
export const OP_SOFTIRQ_EXIT = 5;
export const OP_IRQS_DISABLE = 6;
export const OP_IRQS_ENABLE = 7;
export const OP_BH_DISABLE = 8;
export const OP_BH_ENABLE = 9;

/** Event flags. */
export const F_READ = 1;
export const F_TRY = 2;

/** A typed array of `len` elements that starts with a copy of `a` (a column or table outgrew it). */
export function grownArray<T extends Uint8Array<ArrayBuffer> | Int8Array<ArrayBuffer> | Int32Array<ArrayBuffer>>(a: T, len: number): T {
  const x = new (a.constructor as new (n: number) => T)(len);
  x.set(a);
  return x;
}

/** The per-event columns of a trace: event i is op[i], task[i], ... */
export interface TraceColumns {
  readonly op: Uint8Array;
  readonly task: Int32Array;
  /** Lock name id; -1 for irq events. */
  readonly lock: Int32Array;
  /** Subclass 0..7; -1 for a release that names none. */
  readonly sub: Int8Array;
  readonly flags: Uint8Array;
  /** 1-based line number of the event. */
  readonly line: Int32Array;
}

/** The tables the columns index into. */
export interface TraceTables {
  /** The events that carry a `stack`. */
  readonly stacks: ReadonlyMap<number, readonly string[]>;
  readonly taskNames: readonly string[];
  readonly lockNames: readonly string[];
  /** The type of each lock name (from its first acquire); undefined for a lock only released. */
  readonly lockTypes: readonly (TraceType | undefined)[];
}

/** The events of one trace. */
export interface ParsedTrace extends TraceColumns, TraceTables {
  readonly file: string;
  readonly n: number;
  /** Capacity bounds for the validator, from the trace (see trace_check.ts). */
  readonly bounds: { readonly classes: number; readonly entries: number; readonly chains: number; readonly nameWords: number };
}

function show(v: unknown): string {
  return v === undefined ? 'missing' : JSON.stringify(v);
}

/** Names -> ids, looked up by string or by the ASCII bytes of a buffer range (no string made). */
class Interner {
  readonly names: string[] = [];
  readonly #byName = new Map<string, number>();
  #slots = new Int32Array(1024);
  #hashes: number[] = [];

  #insertSlot(id: number, h: number): void {
    const mask = this.#slots.length - 1;
    let s = h & mask;
    while ((this.#slots[s] ?? 0) !== 0) s = (s + 1) & mask;
    this.#slots[s] = id + 1;
  }

  #add(name: string, h: number, ascii: boolean): number {
    const id = this.names.length;
    this.names.push(name);
    this.#hashes.push(h);
    this.#byName.set(name, id);
    if (ascii) {
      if ((id + 1) * 2 > this.#slots.length) {
        const old = this.#slots;
        this.#slots = new Int32Array(old.length * 2);
        for (const v of old) if (v !== 0) this.#insertSlot(v - 1, this.#hashes[v - 1] ?? 0);
      }
      this.#insertSlot(id, h);
    }
    return id;
  }

  /** The id of an ASCII name given as bytes [s, e) of b (hash h); a new name is added. */
  bytes(b: Uint8Array, s: number, e: number, h: number): number {
    const mask = this.#slots.length - 1;
    let slot = h & mask;
    const len = e - s;
    for (;;) {
      const v = this.#slots[slot] ?? 0;
      if (v === 0) break;
      const name = this.names[v - 1] ?? '';
      if ((this.#hashes[v - 1] ?? 0) === h && name.length === len) {
        let k = 0;
        while (k < len && name.charCodeAt(k) === b[s + k]) k++;
        if (k === len) return v - 1;
      }
      slot = (slot + 1) & mask;
    }
    return this.#add(String.fromCharCode.apply(null, Array.from(b.subarray(s, e))), h, true);
  }

  string(name: string): number {
    const id = this.#byName.get(name);
    if (id !== undefined) return id;
    // eslint-disable-next-line no-control-regex
    const ascii = /^[\x00-\x7f]*$/.test(name);
    return this.#add(name, fnv1a(name), ascii);
  }
}

/* Byte constants. */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const HASH = 0x23;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const OP_BYTES = OPS.map(enc);
const TYPE_BYTES = TRACE_TYPES.map(enc);
const READ = enc('read');
const WRITE = enc('write');

function eqBytes(b: Uint8Array, s: number, e: number, w: Uint8Array): boolean {
  if (e - s !== w.length) return false;
  for (let i = 0; i < w.length; i++) if (b[s + i] !== w[i]) return false;
  return true;
}

/** The fewest bytes an event line has: `{"op":"bh_enable","task":"t"}` and its newline. */
export const MIN_EVENT_BYTES = 27;

/**
 * Capacity bounds of the first `n` events for the validator (trace_check.ts): classes used,
 * at most one new dependency per lock held and one new chain per acquisition (a release below the
 * top re-adds the locks above it: new chains and dependencies), arena words of the lock names.
 */
export function traceBounds(n: number, op: Uint8Array, task: Int32Array, lock: Int32Array, sub: Int8Array, lockNames: readonly string[]): ParsedTrace['bounds'] {
  const held: (number[] | undefined)[] = [];
  const subsUsed = new Uint8Array(lockNames.length + 1);
  let classes = 0;
  let entries = 0;
  let chains = 0;
  let nameWords = 0;
  for (const name of lockNames) nameWords += 2 + ((name.length + 1) >> 1);
  const countClass = (l: number, sb: number): void => {
    const used = subsUsed[l] ?? 0;
    if ((used & (1 << sb)) === 0) {
      subsUsed[l] = used | (1 << sb);
      classes++;
    }
  };
  for (let i = 0; i < n; i++) {
    const code = op[i] ?? 0;
    if (code !== OP_ACQUIRE && code !== OP_RELEASE) continue;
    const t = task[i] ?? 0;
    const l = lock[i] ?? 0;
    const sb = sub[i] ?? 0;
    let h = held[t];
    if (h === undefined) {
      h = [];
      held[t] = h;
    }
    if (code === OP_ACQUIRE) {
      entries += Math.min(h.length, 48);
      chains++;
      h.push(l * 8 + sb);
      countClass(l, sb);
      continue;
    }
    let j = h.length - 1;
    while (j >= 0 && !((((h[j] ?? 0) / 8) | 0) === l && (sb < 0 || ((h[j] ?? 0) & 7) === sb))) j--;
    if (j >= 0) {
      const above = Math.min(h.length - 1 - j, 48);
      if (above > 0) {
        entries += above * Math.min(j + above, 48);
        chains += above;
      }
      for (let k = j + 1; k < h.length; k++) h[k - 1] = h[k] ?? 0;
      h.pop();
    }
    countClass(l, sb < 0 ? 0 : sb);
  }
  return { classes, entries, chains, nameWords };
}

/** Read a whole trace; throws TortureError('TRACE_MALFORMED', 'FILE:LINE: ...') on the first bad line. */
export function parseTrace(file: string, input: Uint8Array | string): ParsedTrace {
  const buf = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const r = traceReader(file, buf.length);
  r.feed(buf, true);
  return r.end();
}

/** The events read so far (views into the reader's columns, valid until its next feed()). */
export interface TraceSoFar extends TraceColumns, TraceTables {
  readonly n: number;
}

/**
 * An incremental trace reader: feed() parses the complete lines of each chunk (the caller keeps
 * the bytes after the last newline for the next chunk; the last chunk is parsed whole), end()
 * returns the trace with its bounds. Same events and messages as one parseTrace() of the whole.
 */
export interface TraceReader {
  /** Parse the lines of `chunk`; returns the bytes consumed (through the last newline, or all when `last`). */
  feed(chunk: Uint8Array, last: boolean): number;
  soFar(): TraceSoFar;
  end(): ParsedTrace;
}

/**
 * A reader for `file`; `sizeHint` (bytes) sizes the first columns. With `shared`, the columns are
 * SharedArrayBuffers sized for a file of at most `sizeHint` bytes (the caller reads no more).
 */
export function traceReader(file: string, sizeHint: number, shared = false): TraceReader {
  let buf: Uint8Array = new Uint8Array(0);
  let len = 0;
  // Columns grow by doubling from an estimate (an event line has 40 bytes or so): no pre-pass
  // counting lines. Shared columns are sized once for the most events `sizeHint` bytes can hold
  // (MIN_EVENT_BYTES each) and never move: another thread reads them as they fill.
  let cap = shared ? Math.ceil(sizeHint / MIN_EVENT_BYTES) + 16 : Math.max(64, Math.ceil(sizeHint / 40));
  const bytesOf = (per: number): ArrayBuffer => (shared ? (new SharedArrayBuffer(cap * per) as unknown as ArrayBuffer) : new ArrayBuffer(cap * per));
  let op = new Uint8Array(bytesOf(1));
  let task = new Int32Array(bytesOf(4));
  let lock = new Int32Array(bytesOf(4));
  let sub = new Int8Array(bytesOf(1));
  let flags = new Uint8Array(bytesOf(1));
  let line = new Int32Array(bytesOf(4));
  const growColumns = (): void => {
    if (shared) throw new Error(`${file}: more events than ${sizeHint} bytes can hold`);
    cap *= 2;
    op = grownArray(op, cap);
    task = grownArray(task, cap);
    lock = grownArray(lock, cap);
    sub = grownArray(sub, cap);
    flags = grownArray(flags, cap);
    line = grownArray(line, cap);
  };
  const stacks = new Map<number, readonly string[]>();
  const tasks = new Interner();
  const locks = new Interner();
  const lockTypes: (TraceType | undefined)[] = [];
  /* Per task: irq nesting (hardirq, softirq, bh). */
  let hard = new Int32Array(64);
  let soft = new Int32Array(64);
  let bh = new Int32Array(64);
  let n = 0;

  const growTasks = (id: number): void => {
    if (id < hard.length) return;
    const g = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const x = new Int32Array(a.length * 2);
      x.set(a);
      return x;
    };
    hard = g(hard);
    soft = g(soft);
    bh = g(bh);
  };
  const lockId = (id: number): void => {
    if (id >= lockTypes.length) lockTypes.push(undefined);
  };
  const bad = (no: number, what: string): never => {
    throw new TortureError('TRACE_MALFORMED', `${file}:${no}: ${what}`);
  };

  /** Record an event that passed every check. */
  const push = (no: number, code: number, t: number, l: number, sb: number, fl: number): void => {
    if (n === cap) growColumns();
    op[n] = code;
    task[n] = t;
    lock[n] = l;
    sub[n] = sb;
    flags[n] = fl;
    line[n] = no;
    n++;
  };

  /** The per-task irq nesting checks; the message when the op is not allowed here, else null. */
  const irqCheck = (code: number, t: number): string | null => {
    if (code === OP_HARDIRQ_ENTER) hard[t] = (hard[t] ?? 0) + 1;
    else if (code === OP_SOFTIRQ_ENTER) soft[t] = (soft[t] ?? 0) + 1;
    else if (code === OP_BH_DISABLE) bh[t] = (bh[t] ?? 0) + 1;
    else if (code === OP_HARDIRQ_EXIT) {
      if ((hard[t] ?? 0) === 0) return `Cannot leave hardirq context as 'hardirq_exit' must follow a hardirq_enter: current value is depth 0`;
      hard[t] = (hard[t] ?? 0) - 1;
    } else if (code === OP_SOFTIRQ_EXIT) {
      if ((soft[t] ?? 0) === 0) return `Cannot leave softirq context as 'softirq_exit' must follow a softirq_enter: current value is depth 0`;
      soft[t] = (soft[t] ?? 0) - 1;
    } else if (code === OP_BH_ENABLE) {
      if ((bh[t] ?? 0) === 0) return `Cannot enable bottom halves as 'bh_enable' must follow a bh_disable: current value is depth 0`;
      bh[t] = (bh[t] ?? 0) - 1;
    }
    return null;
  };

  /** The JSON.parse reader: every message comes from here. */
  const slow = (no: number, s: number, e: number): void => {
    const text = new TextDecoder().decode(buf.subarray(s, e));
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (err) {
      bad(no, `Cannot parse the line as it must be one JSON object: ${(err as Error).message}`);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return bad(no, `Cannot read the event as it must be a JSON object: current value is ${show(o)}`);
    const r = o as Record<string, unknown>;
    const opv = r['op'];
    const taskv = r['task'];
    if (typeof taskv !== 'string' || taskv === '') bad(no, `Cannot read the event as 'task' must be a non-empty string: current value is ${show(taskv)}`);
    const taskName = taskv as string;
    let stack: string[] | null = null;
    if (r['stack'] !== undefined) {
      const st = r['stack'];
      if (!Array.isArray(st) || st.some((f) => typeof f !== 'string')) bad(no, `Cannot read the event as 'stack' must be an array of strings: current value is ${show(st)}`);
      stack = st as string[];
    }
    if (opv === 'acquire' || opv === 'release') {
      const lockv = r['lock'];
      if (typeof lockv !== 'string' || lockv === '') bad(no, `Cannot ${opv} as 'lock' must be a non-empty string: current value is ${show(lockv)}`);
      const lockName = lockv as string;
      const sb = r['subclass'];
      if (sb !== undefined && (typeof sb !== 'number' || !Number.isInteger(sb) || sb < 0 || sb > 7)) bad(no, `Cannot ${opv} '${lockName}' as 'subclass' must be an integer 0..7: current value is ${show(sb)}`);
      const t = tasks.string(taskName);
      growTasks(t);
      const l = locks.string(lockName);
      lockId(l);
      if (opv === 'release') {
        if (stack !== null) stacks.set(n, stack);
        push(no, OP_RELEASE, t, l, typeof sb === 'number' ? sb : -1, 0);
        return;
      }
      const type = r['type'];
      const known = lockTypes[l];
      if (type === undefined) {
        if (known === undefined) bad(no, `Cannot acquire '${lockName}' as 'type' must be given on the class's first use: current value is missing`);
      } else {
        if (typeof type !== 'string' || !(TRACE_TYPES as readonly string[]).includes(type)) bad(no, `Cannot acquire '${lockName}' as 'type' must be one of ${TRACE_TYPES.join('|')}: current value is ${show(type)}`);
        if (known !== undefined && known !== type) bad(no, `Cannot acquire '${lockName}' as 'type' must not change (first used as ${known}): current value is ${show(type)}`);
        lockTypes[l] = type as TraceType;
      }
      const ty = lockTypes[l] ?? 'mutex';
      const mode = r['mode'] ?? 'write';
      if (mode !== 'write' && mode !== 'read') bad(no, `Cannot acquire '${lockName}' as 'mode' must be "write" or "read": current value is ${show(mode)}`);
      if (mode === 'read' && ty !== 'rwlock' && ty !== 'rwsem' && ty !== 'percpu_rwsem') bad(no, `Cannot acquire '${lockName}' for read as 'type' must be rwlock, rwsem or percpu_rwsem: current value is "${ty}"`);
      const tr = r['try'] ?? false;
      if (typeof tr !== 'boolean') bad(no, `Cannot acquire '${lockName}' as 'try' must be a boolean: current value is ${show(tr)}`);
      if (stack !== null) stacks.set(n, stack);
      push(no, OP_ACQUIRE, t, l, typeof sb === 'number' ? sb : 0, (mode === 'read' ? F_READ : 0) | (tr === true ? F_TRY : 0));
      return;
    }
    if (typeof opv !== 'string' || !(IRQ_OPS as readonly string[]).includes(opv)) {
      bad(no, `Cannot read the event as 'op' must be acquire, release or one of ${IRQ_OPS.join('|')}: current value is ${show(opv)}`);
    }
    const code = 2 + IRQ_OPS.indexOf(opv as IrqOp);
    const t = tasks.string(taskName);
    growTasks(t);
    const msg = irqCheck(code, t);
    if (msg !== null) bad(no, msg);
    push(no, code, t, -1, -1, 0);
  };

  /** The byte scanner: true when the line was a well-formed event and is recorded. */
  const fast = (no: number, s: number): number => {
    const b = buf;
    // The line ends at the first newline after the object; strings may not contain control characters.
    const e = len;
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
    const next = i + 1;
    // Semantic checks; any failure goes to the slow path for its message.
    if (code === OP_ACQUIRE || code === OP_RELEASE) {
      if (!hasLock) return -1;
      if (code === OP_RELEASE && (type >= 0 || mode !== 0 || tr >= 0)) {
        // Extra acquire-only keys on a release are ignored by the format; keep to the slow path.
        return -1;
      }
    } else if (hasLock || type >= 0 || mode !== 0 || sb >= 0 || tr >= 0) {
      return -1;
    }
    const tid = tasks.bytes(b, tS, tE, tH);
    growTasks(tid);
    if (code === OP_RELEASE) {
      const l = locks.bytes(b, lS, lE, lH);
      lockId(l);
      push(no, OP_RELEASE, tid, l, sb, 0);
      return next;
    }
    if (code === OP_ACQUIRE) {
      const l = locks.bytes(b, lS, lE, lH);
      lockId(l);
      const known = lockTypes[l];
      const ty = type >= 0 ? TRACE_TYPES[type] : known;
      if (ty === undefined || (known !== undefined && known !== ty)) return -1;
      if (mode === 2 && ty !== 'rwlock' && ty !== 'rwsem' && ty !== 'percpu_rwsem') return -1;
      lockTypes[l] = ty;
      push(no, OP_ACQUIRE, tid, l, sb < 0 ? 0 : sb, (mode === 2 ? F_READ : 0) | (tr === 1 ? F_TRY : 0));
      return next;
    }
    // An irq op: the nesting check changes state only when it passes.
    if ((code === OP_HARDIRQ_EXIT && (hard[tid] ?? 0) === 0) || (code === OP_SOFTIRQ_EXIT && (soft[tid] ?? 0) === 0) || (code === OP_BH_ENABLE && (bh[tid] ?? 0) === 0)) return -1;
    irqCheck(code, tid);
    push(no, code, tid, -1, -1, 0);
    return next;
  };

  let no = 0;
  const feed = (chunk: Uint8Array, last: boolean): number => {
    buf = chunk;
    len = last ? chunk.length : chunk.lastIndexOf(10) + 1;
    scan();
    return len;
  };

  // One pass over the bytes: the scanner finds the end of the lines it accepts itself (a native
  // indexOf per line costs more than scanning its bytes); only comments and the lines the
  // scanner declines look for their end.
  const scan = (): void => {
    let pos = 0;
    while (pos < len) {
      no++;
      let s = pos;
      while (s < len && isWs(buf[s] ?? 0)) s++;
      if (s >= len) break;
      const c = buf[s] ?? 0;
      if (c === 10) {
        pos = s + 1;
        continue;
      }
      if (c === LBRACE) {
        const next = fast(no, s);
        if (next >= 0) {
          pos = next;
          continue;
        }
      }
      let end = buf.indexOf(10, s);
      if (end < 0) end = len;
      if (c !== HASH) {
        let e = end;
        while (e > s && isWs(buf[e - 1] ?? 0)) e--;
        slow(no, s, e);
      }
      pos = end + 1;
    }
  };

  const soFar = (): TraceSoFar => ({ n, op, task, lock, sub, flags, line, stacks, taskNames: tasks.names, lockNames: locks.names, lockTypes });

  const end = (): ParsedTrace => ({
    file,
    n,
    op: op.subarray(0, n),
    task: task.subarray(0, n),
    lock: lock.subarray(0, n),
    sub: sub.subarray(0, n),
    flags: flags.subarray(0, n),
    line: line.subarray(0, n),
    stacks,
    taskNames: tasks.names,
    lockNames: locks.names,
    lockTypes,
    bounds: traceBounds(n, op, task, lock, sub, locks.names),
  });
  return { feed, soFar, end };
}

const SUBCLASS = enc('subclass');
const TRY = enc('try');
const TRUE = enc('true');
const FALSE = enc('false');
const KNOWN_KEYS = ['op', 'task', 'lock', 'type', 'mode', 'subclass', 'try', 'stack'].map(enc);

/** A key the format does not use (its value is ignored, as JSON.parse's reader ignores it). */
function isOtherKey(b: Uint8Array, s: number, e: number): boolean {
  for (const k of KNOWN_KEYS) if (eqBytes(b, s, e, k)) return false;
  return true;
}
