/*
 * The reader of `torture lockdep` traces: JSONL bytes -> columns of events (typed arrays), with
 * task and lock names interned (trace_interner.ts). Format: trace_format.ts and the lockdep folder's
 * README.
 *
 * Two readers, one result: a byte scanner for the shapes traces have (trace_scan.ts: one flat object
 * of string / integer / boolean values, ASCII names, no escapes) and JSON.parse for everything else.
 * The scanner only accepts a line it can prove well-formed; any doubt (escapes, nesting, floats,
 * an unknown op, a missing field, a type error) sends the line to the JSON.parse path, which
 * alone produces the `FILE:LINE: what is wrong` messages. So the two can never disagree on an
 * error, and a well-formed line gives the same event either way.
 *
 * Guarantees: the whole input is checked before anything is validated; memory is about 15 bytes
 * per event plus the names and the distinct stacks (a repeated stack is kept once); irq nesting (an exit without an enter) is checked per task, as the
 * context is per task. Input of any size and shape is either read or one `FILE:LINE:` message:
 * a line, a name, a stack, the nesting and the number of events are bounded (trace_limits.ts),
 * and a line past a bound is malformed like any other (the byte scanner declines it, the JSON.parse
 * path names the bound), so no line costs a recursion or an allocation its size.
 */

import { TortureError } from '../../errors.js';
import { LOCK_TYPE_PROPS } from '../../kapi.js';
import { traceBounds } from './trace_bounds.js';
import {
  F_READ,
  F_TRY,
  grownArray,
  IRQ_OPS,
  MIN_EVENT_BYTES,
  OP_ACQUIRE,
  OP_BH_DISABLE,
  OP_BH_ENABLE,
  OP_HARDIRQ_ENTER,
  OP_HARDIRQ_EXIT,
  OP_RELEASE,
  OP_SOFTIRQ_ENTER,
  OP_SOFTIRQ_EXIT,
  TRACE_TYPES,
  type IrqOp,
  type ParsedTrace,
  type TraceSoFar,
  type TraceType,
} from './trace_format.js';
import { Interner, StackInterner } from './trace_interner.js';
import { countText, TRACE_LIMITS, type TraceLimits } from './trace_limits.js';
import { HASH, isWs, LBRACE, nestsDeeperThan, scanEvent, scannedEvent } from './trace_scan.js';

/** Characters of a value a message shows (a value may be a megabyte long). */
const SHOW_CHARS = 64;

function show(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'string' && v.length > SHOW_CHARS) return `${JSON.stringify(v.slice(0, SHOW_CHARS))}... (${countText(v.length)} characters)`;
  const s = JSON.stringify(v);
  return s.length > SHOW_CHARS * 2 ? `${s.slice(0, SHOW_CHARS * 2)}...` : s;
}

/** Read a whole trace; throws TortureError('TRACE_MALFORMED', 'FILE:LINE: ...') on the first bad line. */
export function parseTrace(file: string, input: Uint8Array | string): ParsedTrace {
  const buf = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const r = new TraceReader(file, buf.length);
  r.feed(buf, true);
  return r.end();
}

/**
 * An incremental trace reader: feed() parses the complete lines of each chunk (the caller keeps
 * the bytes after the last newline for the next chunk; the last chunk is parsed whole), end()
 * returns the trace with its bounds. Same events and messages as one parseTrace() of the whole.
 */
export class TraceReader {
  readonly #file: string;
  readonly #sizeHint: number;
  readonly #shared: boolean;
  readonly #lim: TraceLimits;
  /* The chunk being parsed and the end of its complete lines. */
  #buf: Uint8Array = new Uint8Array(0);
  #len = 0;
  /* The line number of the last line read. */
  #no = 0;
  #cap: number;
  #op: Uint8Array<ArrayBuffer>;
  #task: Int32Array<ArrayBuffer>;
  #lock: Int32Array<ArrayBuffer>;
  #sub: Int8Array<ArrayBuffer>;
  #flags: Uint8Array<ArrayBuffer>;
  #line: Int32Array<ArrayBuffer>;
  #n = 0;
  readonly #stacks = new Map<number, readonly string[]>();
  readonly #stackIds = new StackInterner();
  readonly #tasks = new Interner();
  readonly #locks = new Interner();
  readonly #lockTypes: (TraceType | undefined)[] = [];
  /* Per task: irq nesting (hardirq, softirq, bh). */
  #hard = new Int32Array(64);
  #soft = new Int32Array(64);
  #bh = new Int32Array(64);
  /* The byte scanner's result (reused: a line costs no allocation). */
  readonly #ev = scannedEvent();

  /**
   * A reader for `file`; `sizeHint` (bytes) sizes the first columns. With `shared`, the columns are
   * SharedArrayBuffers sized for a file of at most `sizeHint` bytes (the caller reads no more).
   * `limits` bound what a line and the trace may hold (tests pass smaller ones).
   */
  constructor(file: string, sizeHint: number, shared = false, limits: TraceLimits = TRACE_LIMITS) {
    this.#file = file;
    this.#sizeHint = sizeHint;
    this.#shared = shared;
    this.#lim = limits;
    // Columns grow by doubling from an estimate (an event line has 40 bytes or so): no pre-pass
    // counting lines. Shared columns are sized once for the most events `sizeHint` bytes can hold
    // (MIN_EVENT_BYTES each) and never move: another thread reads them as they fill.
    const cap = Math.min(limits.events, shared ? Math.ceil(sizeHint / MIN_EVENT_BYTES) + 16 : Math.max(64, Math.ceil(sizeHint / 40)));
    this.#cap = cap;
    const bytesOf = (per: number): ArrayBuffer => (shared ? (new SharedArrayBuffer(cap * per) as unknown as ArrayBuffer) : new ArrayBuffer(cap * per));
    this.#op = new Uint8Array(bytesOf(1));
    this.#task = new Int32Array(bytesOf(4));
    this.#lock = new Int32Array(bytesOf(4));
    this.#sub = new Int8Array(bytesOf(1));
    this.#flags = new Uint8Array(bytesOf(1));
    this.#line = new Int32Array(bytesOf(4));
  }

  /** Parse the lines of `chunk`; returns the bytes consumed (through the last newline, or all when `last`). */
  feed(chunk: Uint8Array, last: boolean): number {
    this.#buf = chunk;
    this.#len = last ? chunk.length : chunk.lastIndexOf(10) + 1;
    this.#scan();
    // The line not yet complete is kept by the caller for the next chunk: bounded, as it grows.
    const partial = chunk.length - this.#len;
    if (partial > this.#lim.lineBytes) this.#tooLong(this.#no + 1, `at least ${countText(partial)}`);
    return this.#len;
  }

  /** The events read so far (views into the reader's columns, valid until its next feed()). */
  soFar(): TraceSoFar {
    return { n: this.#n, op: this.#op, task: this.#task, lock: this.#lock, sub: this.#sub, flags: this.#flags, line: this.#line, stacks: this.#stacks, taskNames: this.#tasks.names, lockNames: this.#locks.names, lockTypes: this.#lockTypes };
  }

  end(): ParsedTrace {
    const n = this.#n;
    return {
      file: this.#file,
      n,
      op: this.#op.subarray(0, n),
      task: this.#task.subarray(0, n),
      lock: this.#lock.subarray(0, n),
      sub: this.#sub.subarray(0, n),
      flags: this.#flags.subarray(0, n),
      line: this.#line.subarray(0, n),
      stacks: this.#stacks,
      taskNames: this.#tasks.names,
      lockNames: this.#locks.names,
      lockTypes: this.#lockTypes,
      bounds: traceBounds(n, this.#op, this.#task, this.#lock, this.#sub, this.#locks.names),
    };
  }

  // One pass over the bytes: the scanner finds the end of the lines it accepts itself (a native
  // indexOf per line costs more than scanning its bytes); only comments and the lines the
  // scanner declines look for their end.
  #scan(): void {
    const buf = this.#buf;
    const len = this.#len;
    let pos = 0;
    while (pos < len) {
      const no = ++this.#no;
      let s = pos;
      while (s < len && isWs(buf[s] ?? 0)) s++;
      if (s >= len) break;
      const c = buf[s] ?? 0;
      if (c === 10) {
        pos = s + 1;
        continue;
      }
      if (c === LBRACE) {
        const next = this.#fast(no, s);
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
        this.#slow(no, s, e);
      } else if (end - s > this.#lim.lineBytes) {
        // A comment is a line too: the same limit whether the trace is read in chunks or whole.
        this.#tooLong(no, countText(end - s));
      }
      pos = end + 1;
    }
  }

  /** The byte scanner's line, checked and recorded: the position after it, or -1 for the slow path. */
  #fast(no: number, s: number): number {
    const b = this.#buf;
    const ev = this.#ev;
    const next = scanEvent(b, s, this.#len, ev);
    if (next < 0) return -1;
    // A line or a name past its limit: the slow path names the limit.
    const lim = this.#lim;
    if (next - 1 - s > lim.lineBytes || ev.tE - ev.tS > lim.nameChars || ev.lE - ev.lS > lim.nameChars) return -1;
    const { code, type, mode, sb, tr } = ev;
    // Semantic checks; any failure goes to the slow path for its message.
    if (code === OP_ACQUIRE || code === OP_RELEASE) {
      if (!ev.hasLock) return -1;
      if (code === OP_RELEASE && (type >= 0 || mode !== 0 || tr >= 0)) {
        // Extra acquire-only keys on a release are ignored by the format; keep to the slow path.
        return -1;
      }
    } else if (ev.hasLock || type >= 0 || mode !== 0 || sb >= 0 || tr >= 0) {
      return -1;
    }
    const tid = this.#tasks.bytes(b, ev.tS, ev.tE, ev.tH);
    this.#growTasks(tid);
    if (code === OP_RELEASE) {
      const l = this.#locks.bytes(b, ev.lS, ev.lE, ev.lH);
      this.#lockId(l);
      this.#push(no, OP_RELEASE, tid, l, sb, 0);
      return next;
    }
    if (code === OP_ACQUIRE) {
      const l = this.#locks.bytes(b, ev.lS, ev.lE, ev.lH);
      this.#lockId(l);
      const known = this.#lockTypes[l];
      const ty = type >= 0 ? TRACE_TYPES[type] : known;
      if (ty === undefined || (known !== undefined && known !== ty)) return -1;
      if (mode === 2 && !LOCK_TYPE_PROPS[ty].readable) return -1;
      this.#lockTypes[l] = ty;
      this.#push(no, OP_ACQUIRE, tid, l, sb < 0 ? 0 : sb, (mode === 2 ? F_READ : 0) | (tr === 1 ? F_TRY : 0));
      return next;
    }
    // An irq op: the nesting check changes state only when it passes.
    if ((code === OP_HARDIRQ_EXIT && (this.#hard[tid] ?? 0) === 0) || (code === OP_SOFTIRQ_EXIT && (this.#soft[tid] ?? 0) === 0) || (code === OP_BH_ENABLE && (this.#bh[tid] ?? 0) === 0)) return -1;
    this.#irqCheck(code, tid);
    this.#push(no, code, tid, -1, -1, 0);
    return next;
  }

  /** The JSON.parse reader: every message comes from here. */
  #slow(no: number, s: number, e: number): void {
    const lim = this.#lim;
    if (e - s > lim.lineBytes) this.#tooLong(no, countText(e - s));
    if (nestsDeeperThan(this.#buf, s, e, lim.depth)) this.#bad(no, `Cannot parse the line as it must nest at most ${lim.depth} levels: current value is more than ${lim.depth} levels`);
    const text = new TextDecoder().decode(this.#buf.subarray(s, e));
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (err) {
      this.#bad(no, `Cannot parse the line as it must be one JSON object: ${(err as Error).message}`);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return this.#bad(no, `Cannot read the event as it must be a JSON object: current value is ${show(o)}`);
    const r = o as Record<string, unknown>;
    const opv = r['op'];
    const taskv = r['task'];
    if (typeof taskv !== 'string' || taskv === '') this.#bad(no, `Cannot read the event as 'task' must be a non-empty string: current value is ${show(taskv)}`);
    const taskName = taskv as string;
    if (taskName.length > lim.nameChars) this.#bad(no, `Cannot read the event as 'task' must be at most ${countText(lim.nameChars)} characters: current value is ${show(taskName)}`);
    let stack: readonly string[] | null = null;
    if (r['stack'] !== undefined) {
      const st = r['stack'];
      if (!Array.isArray(st) || st.some((f) => typeof f !== 'string')) this.#bad(no, `Cannot read the event as 'stack' must be an array of strings: current value is ${show(st)}`);
      const long = (st as string[]).find((f) => f.length > lim.frameChars);
      if (long !== undefined) this.#bad(no, `Cannot read the event as a frame of 'stack' must be at most ${countText(lim.frameChars)} characters: current value is ${show(long)}`);
      stack = this.#stackIds.intern(st as string[]);
    }
    if (opv === 'acquire' || opv === 'release') {
      const lockv = r['lock'];
      if (typeof lockv !== 'string' || lockv === '') this.#bad(no, `Cannot ${opv} as 'lock' must be a non-empty string: current value is ${show(lockv)}`);
      const lockName = lockv as string;
      if (lockName.length > lim.nameChars) this.#bad(no, `Cannot ${opv} as 'lock' must be at most ${countText(lim.nameChars)} characters: current value is ${show(lockName)}`);
      const sb = r['subclass'];
      if (sb !== undefined && (typeof sb !== 'number' || !Number.isInteger(sb) || sb < 0 || sb > 7)) this.#bad(no, `Cannot ${opv} '${lockName}' as 'subclass' must be an integer 0..7: current value is ${show(sb)}`);
      const t = this.#tasks.string(taskName);
      this.#growTasks(t);
      const l = this.#locks.string(lockName);
      this.#lockId(l);
      if (opv === 'release') {
        if (stack !== null) this.#stacks.set(this.#n, stack);
        this.#push(no, OP_RELEASE, t, l, typeof sb === 'number' ? sb : -1, 0);
        return;
      }
      const type = r['type'];
      const known = this.#lockTypes[l];
      if (type === undefined) {
        if (known === undefined) this.#bad(no, `Cannot acquire '${lockName}' as 'type' must be given on the class's first use: current value is missing`);
      } else {
        if (typeof type !== 'string' || !(TRACE_TYPES as readonly string[]).includes(type)) this.#bad(no, `Cannot acquire '${lockName}' as 'type' must be one of ${TRACE_TYPES.join('|')}: current value is ${show(type)}`);
        if (known !== undefined && known !== type) this.#bad(no, `Cannot acquire '${lockName}' as 'type' must not change (first used as ${known}): current value is ${show(type)}`);
        this.#lockTypes[l] = type as TraceType;
      }
      const ty = this.#lockTypes[l] ?? 'mutex';
      const mode = r['mode'] ?? 'write';
      if (mode !== 'write' && mode !== 'read') this.#bad(no, `Cannot acquire '${lockName}' as 'mode' must be "write" or "read": current value is ${show(mode)}`);
      if (mode === 'read' && !LOCK_TYPE_PROPS[ty].readable) this.#bad(no, `Cannot acquire '${lockName}' for read as 'type' must be rwlock, rwsem or percpu_rwsem: current value is "${ty}"`);
      const tr = r['try'] ?? false;
      if (typeof tr !== 'boolean') this.#bad(no, `Cannot acquire '${lockName}' as 'try' must be a boolean: current value is ${show(tr)}`);
      if (stack !== null) this.#stacks.set(this.#n, stack);
      this.#push(no, OP_ACQUIRE, t, l, typeof sb === 'number' ? sb : 0, (mode === 'read' ? F_READ : 0) | (tr === true ? F_TRY : 0));
      return;
    }
    if (typeof opv !== 'string' || !(IRQ_OPS as readonly string[]).includes(opv)) {
      this.#bad(no, `Cannot read the event as 'op' must be acquire, release or one of ${IRQ_OPS.join('|')}: current value is ${show(opv)}`);
    }
    const code = 2 + IRQ_OPS.indexOf(opv as IrqOp);
    const t = this.#tasks.string(taskName);
    this.#growTasks(t);
    const msg = this.#irqCheck(code, t);
    if (msg !== null) this.#bad(no, msg);
    this.#push(no, code, t, -1, -1, 0);
  }

  /** Record an event that passed every check. */
  #push(no: number, code: number, t: number, l: number, sb: number, fl: number): void {
    const n = this.#n;
    if (n === this.#cap) this.#growColumns(no);
    if (no > this.#lim.lines) this.#bad(no, `Cannot read the event as a trace must have at most ${countText(this.#lim.lines)} lines: current value is more`);
    this.#op[n] = code;
    this.#task[n] = t;
    this.#lock[n] = l;
    this.#sub[n] = sb;
    this.#flags[n] = fl;
    this.#line[n] = no;
    this.#n = n + 1;
  }

  #growColumns(no: number): void {
    const most = this.#lim.events;
    if (this.#cap >= most) this.#bad(no, `Cannot read the event as a trace must have at most ${countText(most)} events: current value is more`);
    if (this.#shared) throw new Error(`${this.#file}: more events than ${this.#sizeHint} bytes can hold`);
    const cap = (this.#cap = Math.min(most, this.#cap * 2));
    this.#op = grownArray(this.#op, cap);
    this.#task = grownArray(this.#task, cap);
    this.#lock = grownArray(this.#lock, cap);
    this.#sub = grownArray(this.#sub, cap);
    this.#flags = grownArray(this.#flags, cap);
    this.#line = grownArray(this.#line, cap);
  }

  #growTasks(id: number): void {
    if (id < this.#hard.length) return;
    this.#hard = grownArray(this.#hard, this.#hard.length * 2);
    this.#soft = grownArray(this.#soft, this.#soft.length * 2);
    this.#bh = grownArray(this.#bh, this.#bh.length * 2);
  }

  #lockId(id: number): void {
    if (id >= this.#lockTypes.length) this.#lockTypes.push(undefined);
  }

  /** A line past the line limit; `bytes` is its length as far as it is known. */
  #tooLong(no: number, bytes: string): never {
    this.#bad(no, `Cannot read the line as it must be at most ${countText(this.#lim.lineBytes)} bytes: current value is ${bytes} bytes`);
  }

  #bad(no: number, what: string): never {
    throw new TortureError('TRACE_MALFORMED', `${this.#file}:${no}: ${what}`);
  }

  /** The per-task irq nesting checks; the message when the op is not allowed here, else null. */
  #irqCheck(code: number, t: number): string | null {
    const hard = this.#hard;
    const soft = this.#soft;
    const bh = this.#bh;
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
  }
}
