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

import { TortureError } from '../errors.js';
import { LOCK_TYPES, type LockType } from '../kapi.js';
import { FNV1A_OFFSET_BASIS, fnv1a, fnv1aStep } from '../lib/fnv1a.js';

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

/** The events of one trace as columns; event i is op[i], task[i], ... */
export interface ParsedTrace {
  readonly file: string;
  readonly n: number;
  readonly op: Uint8Array;
  readonly task: Int32Array;
  /** Lock name id; -1 for irq events. */
  readonly lock: Int32Array;
  /** Subclass 0..7; -1 for a release that names none. */
  readonly sub: Int8Array;
  readonly flags: Uint8Array;
  /** 1-based line number of the event. */
  readonly line: Int32Array;
  /** The events that carry a `stack`. */
  readonly stacks: ReadonlyMap<number, readonly string[]>;
  readonly taskNames: readonly string[];
  readonly lockNames: readonly string[];
  /** The type of each lock name (from its first acquire); undefined for a lock only released. */
  readonly lockTypes: readonly (TraceType | undefined)[];
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

/** Read a whole trace; throws TortureError('TRACE_MALFORMED', 'FILE:LINE: ...') on the first bad line. */
export function parseTrace(file: string, input: Uint8Array | string): ParsedTrace {
  const buf = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const len = buf.length;
  // Capacity: one event per line at most.
  let nl = 1;
  for (let p = buf.indexOf(10); p >= 0; p = buf.indexOf(10, p + 1)) nl++;
  const op = new Uint8Array(nl);
  const task = new Int32Array(nl);
  const lock = new Int32Array(nl);
  const sub = new Int8Array(nl);
  const flags = new Uint8Array(nl);
  const line = new Int32Array(nl);
  const stacks = new Map<number, readonly string[]>();
  const tasks = new Interner();
  const locks = new Interner();
  const lockTypes: (TraceType | undefined)[] = [];
  /* Per task: irq nesting (hardirq, softirq, bh) and the locks held (lock * 8 + subclass, for the bounds). */
  let hard = new Int32Array(64);
  let soft = new Int32Array(64);
  let bh = new Int32Array(64);
  const held: (number[] | undefined)[] = [];
  let subsUsed = new Uint8Array(64);
  let classes = 0;
  let entries = 0;
  let chains = 0;
  let nameWords = 0;
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
    if (id >= lockTypes.length) {
      lockTypes.push(undefined);
      nameWords += 2 + (((locks.names[id] ?? '').length + 1) >> 1);
    }
    if (id >= subsUsed.length) {
      const x = new Uint8Array(subsUsed.length * 2);
      x.set(subsUsed);
      subsUsed = x;
    }
  };
  const bad = (no: number, what: string): never => {
    throw new TortureError('TRACE_MALFORMED', `${file}:${no}: ${what}`);
  };

  /** Record an event that passed every check. */
  const push = (no: number, code: number, t: number, l: number, sb: number, fl: number): void => {
    op[n] = code;
    task[n] = t;
    lock[n] = l;
    sub[n] = sb;
    flags[n] = fl;
    line[n] = no;
    n++;
    if (code === OP_ACQUIRE) {
      const h = heldOf(t);
      // At most one new dependency per lock held, one new chain per acquisition.
      entries += Math.min(h.length, 48);
      chains++;
      h.push(l * 8 + sb);
      countClass(l, sb);
    } else if (code === OP_RELEASE) {
      const h = heldOf(t);
      let j = h.length - 1;
      while (j >= 0 && !((((h[j] ?? 0) / 8) | 0) === l && (sb < 0 || ((h[j] ?? 0) & 7) === sb))) j--;
      if (j >= 0) {
        // A release below the top re-adds the locks above it: new chains and dependencies.
        const above = Math.min(h.length - 1 - j, 48);
        if (above > 0) {
          entries += above * Math.min(j + above, 48);
          chains += above;
        }
        h.splice(j, 1);
      }
      countClass(l, sb < 0 ? 0 : sb);
    }
  };

  const heldOf = (t: number): number[] => {
    let h = held[t];
    if (h === undefined) {
      h = [];
      held[t] = h;
    }
    return h;
  };

  const countClass = (l: number, sb: number): void => {
    const used = subsUsed[l] ?? 0;
    if ((used & (1 << sb)) === 0) {
      subsUsed[l] = used | (1 << sb);
      classes++;
    }
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
  const fast = (no: number, s: number, e: number): boolean => {
    const b = buf;
    let i = s;
    if (b[i] !== LBRACE) return false;
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
      if (b[i] !== QUOTE) return false;
      const ks = ++i;
      while (i < e && b[i] !== QUOTE) {
        if (b[i] === BACKSLASH) return false;
        i++;
      }
      if (i >= e) return false;
      const ke = i++;
      while (i < e && isWs(b[i] ?? 0)) i++;
      if (b[i] !== COLON) return false;
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
          if (x === BACKSLASH || x < 0x20 || x >= 0x80) return false;
          h = fnv1aStep(h, x);
          i++;
        }
        if (i >= e) return false;
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
          if (code < 0) return false;
        } else if (klen === 4 && k0 === 0x74 && b[ks + 1] === 0x61 && b[ks + 2] === 0x73 && b[ks + 3] === 0x6b) {
          // "task"
          if (ve === vs) return false;
          tS = vs;
          tE = ve;
          tH = h >>> 0;
          t = 0;
        } else if (klen === 4 && k0 === 0x6c && b[ks + 1] === 0x6f && b[ks + 2] === 0x63 && b[ks + 3] === 0x6b) {
          // "lock"
          if (ve === vs) return false;
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
          if (type < 0) return false;
        } else if (klen === 4 && k0 === 0x6d && b[ks + 1] === 0x6f && b[ks + 2] === 0x64 && b[ks + 3] === 0x65) {
          // "mode"
          if (eqBytes(b, vs, ve, WRITE)) mode = 1;
          else if (eqBytes(b, vs, ve, READ)) mode = 2;
          else return false;
        } else if ((klen === 8 && k0 === 0x73 && b[ks + 1] === 0x75) || (klen === 3 && k0 === 0x74 && b[ks + 1] === 0x72) || (klen === 5 && k0 === 0x73 && b[ks + 1] === 0x74)) {
          // "subclass", "try" or "stack" with a string value: a type error for the slow path.
          return false;
        }
      } else if (c >= 0x30 && c <= 0x39) {
        // A small non-negative integer; anything else (sign, fraction, exponent) goes slow.
        let v = 0;
        while (i < e && (b[i] ?? 0) >= 0x30 && (b[i] ?? 0) <= 0x39) {
          v = v * 10 + ((b[i] ?? 0) - 0x30);
          i++;
          if (v > 1e6) return false;
        }
        const x = b[i] ?? 0;
        if (x === 0x2e || x === 0x65 || x === 0x45) return false;
        if (klen === 8 && k0 === 0x73 && b[ks + 1] === 0x75) {
          if (!eqBytes(b, ks, ke, SUBCLASS) || v > 7) return false;
          sb = v;
        } else if (!isOtherKey(b, ks, ke)) return false;
      } else if (c === 0x74 || c === 0x66) {
        const val = c === 0x74;
        const w = val ? TRUE : FALSE;
        if (!eqBytes(b, i, i + w.length, w)) return false;
        i += w.length;
        if (klen === 3 && eqBytes(b, ks, ke, TRY)) tr = val ? 1 : 0;
        else if (!isOtherKey(b, ks, ke)) return false;
      } else {
        // null, arrays (stack), nested objects, negative numbers: the slow path decides.
        return false;
      }
      while (i < e && isWs(b[i] ?? 0)) i++;
      const sep = b[i] ?? 0;
      i++;
      if (sep === COMMA) continue;
      if (sep === RBRACE) break;
      return false;
    }
    while (i < e && isWs(b[i] ?? 0)) i++;
    if (i !== e || code < 0 || t < 0) return false;
    // Semantic checks; any failure goes to the slow path for its message.
    if (code === OP_ACQUIRE || code === OP_RELEASE) {
      if (!hasLock) return false;
      if (code === OP_RELEASE && (type >= 0 || mode !== 0 || tr >= 0)) {
        // Extra acquire-only keys on a release are ignored by the format; keep to the slow path.
        return false;
      }
    } else if (hasLock || type >= 0 || mode !== 0 || sb >= 0 || tr >= 0) {
      return false;
    }
    const tid = tasks.bytes(b, tS, tE, tH);
    growTasks(tid);
    if (code === OP_RELEASE) {
      const l = locks.bytes(b, lS, lE, lH);
      lockId(l);
      push(no, OP_RELEASE, tid, l, sb, 0);
      return true;
    }
    if (code === OP_ACQUIRE) {
      const l = locks.bytes(b, lS, lE, lH);
      lockId(l);
      const known = lockTypes[l];
      const ty = type >= 0 ? TRACE_TYPES[type] : known;
      if (ty === undefined || (known !== undefined && known !== ty)) return false;
      if (mode === 2 && ty !== 'rwlock' && ty !== 'rwsem' && ty !== 'percpu_rwsem') return false;
      lockTypes[l] = ty;
      push(no, OP_ACQUIRE, tid, l, sb < 0 ? 0 : sb, (mode === 2 ? F_READ : 0) | (tr === 1 ? F_TRY : 0));
      return true;
    }
    // An irq op: the nesting check changes state only when it passes.
    if ((code === OP_HARDIRQ_EXIT && (hard[tid] ?? 0) === 0) || (code === OP_SOFTIRQ_EXIT && (soft[tid] ?? 0) === 0) || (code === OP_BH_ENABLE && (bh[tid] ?? 0) === 0)) return false;
    irqCheck(code, tid);
    push(no, code, tid, -1, -1, 0);
    return true;
  };

  let pos = 0;
  let no = 0;
  while (pos <= len) {
    let end = buf.indexOf(10, pos);
    if (end < 0) end = len;
    no++;
    let s = pos;
    let e = end;
    while (s < e && isWs(buf[s] ?? 0)) s++;
    while (e > s && isWs(buf[e - 1] ?? 0)) e--;
    if (s < e && buf[s] !== HASH && !fast(no, s, e)) slow(no, s, e);
    pos = end + 1;
  }
  return {
    file,
    n,
    op,
    task,
    lock,
    sub,
    flags,
    line,
    stacks,
    taskNames: tasks.names,
    lockNames: locks.names,
    lockTypes,
    bounds: { classes, entries, chains, nameWords },
  };
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
