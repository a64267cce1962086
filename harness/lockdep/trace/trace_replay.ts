/*
 * One trace replayed into a lockdep validator, event by event: the trace's tasks as pseudo tasks
 * (pid in order of first appearance) on one pseudo CPU, each with its own irq context; its lock
 * names as lock classes (a map per lock and subclass); each event's stack token is its index, so
 * every `at:` is the acquisition's own trace line and a report's frames are the trace's `stack`
 * (or a frame naming the line). trace_check.ts drives it and turns reports into findings.
 */

import path from 'node:path';
import { LOCK_TYPE_PROPS, type LockClassKey, type LockdepMap, type LockRead, type WaitType } from '../../kapi.js';
import { lockdepInit, regionWords } from '../index.js';
import { SimEnv, SimTask } from '../sim_env.js';
import type { Lockdep, LockdepLimits } from '../types.js';
import {
  F_READ,
  F_TRY,
  grownArray,
  OP_ACQUIRE,
  OP_BH_DISABLE,
  OP_BH_ENABLE,
  OP_HARDIRQ_ENTER,
  OP_HARDIRQ_EXIT,
  OP_IRQS_DISABLE,
  OP_IRQS_ENABLE,
  OP_RELEASE,
  OP_SOFTIRQ_ENTER,
  OP_SOFTIRQ_EXIT,
  OPS,
  type TraceType,
} from './trace_format.js';
import type { TraceSource } from './trace_stream.js';

function waitTypeOf(t: TraceType): WaitType {
  return LOCK_TYPE_PROPS[t].waitType;
}

export class TraceReplay {
  readonly env: SimEnv;
  readonly ld: Lockdep;
  readonly #src: TraceSource;
  readonly #base: string;
  /* The source's columns as of the last refresh() (a streaming source's grow as batches arrive). */
  #op: Uint8Array;
  #task: Int32Array;
  #lock: Int32Array;
  #sub: Int8Array;
  #flags: Uint8Array;
  /* The event being replayed: the stack token of whatever the validator records now. */
  #cur = 0;
  readonly #simTasks: (SimTask | undefined)[] = [];
  #seen = 0;
  #curTask = -1;
  readonly #keys: (LockClassKey | undefined)[] = [];
  #nkeys = 0;
  readonly #maps: (LockdepMap | undefined)[] = [];
  /* Each task's own record of what it holds (lock * 8 + subclass), to pick the instance a `release` names. */
  readonly #heldBy: (number[] | undefined)[] = [];
  /* Each task's context: irq nesting, bh nesting, irqs disabled by irqs_disable. */
  #hard = new Int32Array(64);
  #soft = new Int32Array(64);
  #bh = new Int32Array(64);
  #off = new Uint8Array(64);

  constructor(src: TraceSource, limits: LockdepLimits, all: boolean, print: (lines: readonly string[]) => void) {
    this.#src = src;
    this.#base = path.basename(src.file);
    this.#op = src.op;
    this.#task = src.task;
    this.#lock = src.lock;
    this.#sub = src.sub;
    this.#flags = src.flags;
    const env = new SimEnv(new SimTask(0, 'swapper/0'));
    env.printer = print;
    env.captureStack = (): string[] => [...this.#framesOf(this.#cur)];
    env.stackToken = (): number => this.#cur;
    env.stackOf = (i) => this.#framesOf(i);
    this.env = env;
    const i32 = new Int32Array(new SharedArrayBuffer(regionWords(limits) * 4));
    // A fresh SharedArrayBuffer is zero: attaching initialises the header only (no fill of the region).
    this.ld = lockdepInit(i32, 0, env, { limits, continueAfterReport: all });
  }

  /** Tasks seen so far. */
  get tasks(): number {
    return this.#seen;
  }

  /** Lock classes (names) seen so far. */
  get classes(): number {
    return this.#nkeys;
  }

  /** The source has more events: take its columns again. */
  refresh(): void {
    const src = this.#src;
    this.#op = src.op;
    this.#task = src.task;
    this.#lock = src.lock;
    this.#sub = src.sub;
    this.#flags = src.flags;
  }

  /** Replay event i. */
  step(i: number): void {
    this.#cur = i;
    const id = this.#task[i] ?? 0;
    if (id !== this.#curTask) {
      if (id >= this.#hard.length) this.#growTasks(id);
      this.env.task = this.#taskOf(id);
      this.#curTask = id;
      this.#sync(id);
    }
    const o = this.#op[i] ?? 0;
    if (o === OP_ACQUIRE) this.#acquire(i, id);
    else if (o === OP_RELEASE) this.#release(i, id);
    else this.#irqOp(o, id);
  }

  #acquire(i: number, id: number): void {
    const l = this.#lock[i] ?? 0;
    const sb = this.#sub[i] ?? 0;
    const fl = this.#flags[i] ?? 0;
    const irq = this.env.irq;
    // qrwlock readers are recursive only in interrupt context (read_lock_is_recursive()).
    const read: LockRead = (fl & F_READ) === 0 ? 0 : LOCK_TYPE_PROPS[this.#src.lockTypes[l] ?? 'mutex'].recursiveReadInIrq && (irq.hardirq || irq.softirq || irq.bhDisabled) ? 2 : 1;
    this.ld.acquire(this.#mapOf(l, sb), sb, (fl & F_TRY) !== 0, read, null);
    let h = this.#heldBy[id];
    if (h === undefined) {
      h = [];
      this.#heldBy[id] = h;
    }
    h.push(l * 8 + sb);
  }

  #release(i: number, id: number): void {
    const l = this.#lock[i] ?? 0;
    const sb = this.#sub[i] ?? -1;
    const h = this.#heldBy[id] ?? [];
    let j = h.length - 1;
    while (j >= 0 && !((((h[j] ?? 0) / 8) | 0) === l && (sb < 0 || ((h[j] ?? 0) & 7) === sb))) j--;
    if (j >= 0) {
      const e = h[j] ?? 0;
      for (let k = j + 1; k < h.length; k++) h[k - 1] = h[k] ?? 0;
      h.pop();
      this.ld.release(this.#mapOf(l, e & 7));
    } else {
      this.ld.release(this.#mapOf(l, sb < 0 ? 0 : sb));
    }
  }

  /** An irq op of task `id`: its context changes, and the validator hears the on/off transitions. */
  #irqOp(o: number, id: number): void {
    const { ld } = this;
    const hard = this.#hard;
    const soft = this.#soft;
    const bh = this.#bh;
    const off = this.#off;
    const wasIrqsOn = off[id] === 0 && (hard[id] ?? 0) === 0;
    const wasSoftOn = (bh[id] ?? 0) === 0 && (soft[id] ?? 0) === 0;
    switch (o) {
      case OP_HARDIRQ_ENTER:
        hard[id] = (hard[id] ?? 0) + 1;
        this.#sync(id);
        if (wasIrqsOn) ld.hardirqsOff();
        break;
      case OP_HARDIRQ_EXIT:
        hard[id] = (hard[id] ?? 0) - 1;
        this.#sync(id);
        if (!this.env.irq.irqsDisabled) ld.hardirqsOn();
        break;
      case OP_SOFTIRQ_ENTER:
        soft[id] = (soft[id] ?? 0) + 1;
        this.#sync(id);
        if (wasSoftOn) ld.softirqsOff();
        break;
      case OP_SOFTIRQ_EXIT:
        soft[id] = (soft[id] ?? 0) - 1;
        this.#sync(id);
        if ((soft[id] ?? 0) === 0 && (bh[id] ?? 0) === 0) ld.softirqsOn();
        break;
      case OP_IRQS_DISABLE:
        off[id] = 1;
        this.#sync(id);
        if (wasIrqsOn) ld.hardirqsOff();
        break;
      case OP_IRQS_ENABLE:
        off[id] = 0;
        this.#sync(id);
        ld.hardirqsOn();
        break;
      case OP_BH_DISABLE:
        bh[id] = (bh[id] ?? 0) + 1;
        this.#sync(id);
        if (wasSoftOn) ld.softirqsOff();
        break;
      case OP_BH_ENABLE:
        bh[id] = (bh[id] ?? 0) - 1;
        this.#sync(id);
        if ((bh[id] ?? 0) === 0 && (soft[id] ?? 0) === 0) ld.softirqsOn();
        break;
    }
  }

  /** The env's irq state is task `id`'s. */
  #sync(id: number): void {
    const irq = this.env.irq;
    const h = this.#hard[id] ?? 0;
    const s = this.#soft[id] ?? 0;
    irq.hardirq = h > 0;
    irq.softirq = s > 0;
    irq.irqsDisabled = this.#off[id] === 1 || h > 0;
    irq.bhDisabled = (this.#bh[id] ?? 0) > 0 || s > 0;
  }

  #growTasks(id: number): void {
    let len = this.#hard.length;
    while (len <= id) len *= 2;
    this.#hard = grownArray(this.#hard, len);
    this.#soft = grownArray(this.#soft, len);
    this.#bh = grownArray(this.#bh, len);
    this.#off = grownArray(this.#off, len);
  }

  #taskOf(id: number): SimTask {
    let s = this.#simTasks[id];
    if (s === undefined) {
      s = new SimTask(this.#seen + 1, this.#src.taskNames[id] ?? '?', 0);
      this.#seen++;
      this.#simTasks[id] = s;
    }
    return s;
  }

  #mapOf(l: number, subclass: number): LockdepMap {
    const id = l * 8 + subclass;
    let m = this.#maps[id];
    if (m === undefined) {
      const src = this.#src;
      let key = this.#keys[l];
      if (key === undefined) {
        // A lock released before its first acquire takes its type from that later acquire.
        if (src.lockTypes[l] === undefined && !src.done) src.drain();
        const ty = src.lockTypes[l];
        const name = src.lockNames[l] ?? '?';
        key = { name, ordinal: 0, type: ty ?? 'user', waitType: ty === undefined ? 0 : waitTypeOf(ty) };
        this.#keys[l] = key;
        this.#nkeys++;
      }
      m = { key, addr: 0x1000 + this.#nkeys * 0x40 + subclass * 8, name: key.name };
      this.#maps[id] = m;
    }
    return m;
  }

  /** The frames of event i: its `stack`, or one frame naming the trace line. */
  #framesOf(i: number): readonly string[] {
    const src = this.#src;
    const st = src.stacks.get(i);
    if (st !== undefined) return st;
    const o = src.op[i] ?? 0;
    const who = src.taskNames[src.task[i] ?? 0] ?? '?';
    if (o === OP_ACQUIRE || o === OP_RELEASE) return [`${who}: ${OPS[o] ?? '?'} ${src.lockNames[src.lock[i] ?? 0] ?? '?'} (${this.#base}:${src.line[i] ?? 0})`];
    return [`${who}: ${OPS[o] ?? '?'} (${this.#base}:${src.line[i] ?? 0})`];
  }
}
