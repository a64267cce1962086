/*
 * Your own concurrent object, tortured: `torture --torture object --ops ./queue.mjs` (or
 * tortureObject() from a test) runs objecttorture on the object described by an ES module.
 *
 * The interface (the module's default export, or its export named `object`):
 *
 *   {
 *     name: 'my_queue',                   // [a-z0-9_]+, names the object in output and reports
 *     sharedBytes: 4096,                  // shared memory the object needs (0..1 MiB)
 *     init(shared, cpu) {},               // on every CPU before the test; `shared` is an Int32Array
 *                                         // over the object's zeroed bytes, the same on every CPU
 *     operations: [                       // what the stress tasks call, one picked at random each time
 *       { name: 'enqueue',
 *         arg: (rand, ctx) => ctx.thread * 1000000 + ctx.seq,   // optional: the argument
 *         call: (shared, arg, ctx) => ... },                     // the call; returns its result
 *       { name: 'dequeue', call: (shared) => ... },
 *     ],
 *     spec: {                             // the sequential specification (a pure model)
 *       initial: [],
 *       step: (state, op, arg) => [result, nextState],           // must not modify state
 *       partition: (op, arg) => key,      // optional: independent keys (P-compositionality)
 *       stateKey: (state) => 'text',      // optional: memoisation key (default JSON.stringify)
 *     },
 *   }
 *
 * `rand()` returns the task's next seeded torture_random() value (a uint32), so a seed repeats
 * the arguments; `ctx` is `{ thread, seq }` (the task's number and its count of calls so far).
 * Arguments and results must be numbers, booleans, null or undefined: they are recorded in shared
 * memory. A call that returns a Promise sleeps until it settles (its CPU runs other tasks).
 *
 * checkObjectModule() is the shape rule, applied by the driver's checker child
 * (ops_check_child.ts) and in the guest; it also runs the spec's step once per operation from
 * the initial state, so a step that throws or returns no [result, state] pair is bad input
 * before anything starts.
 */

import type { ObjectValue, SequentialSpec } from '../linearizability/history.js';
import { TortureError } from '../errors.js';
import { opsModuleError, USER_OPS_MAX_SHARED_BYTES } from './user_ops.js';

export interface ObjectCallContext {
  /** The stress task's number (0..nthreads-1). */
  readonly thread: number;
  /** How many calls this task made before this one. */
  readonly seq: number;
}

export interface UserObjectOperation {
  readonly name: string;
  arg?(rand: () => number, ctx: ObjectCallContext): ObjectValue;
  call(shared: Int32Array, arg: ObjectValue, ctx: ObjectCallContext): ObjectValue | PromiseLike<ObjectValue>;
}

export interface UserObjectOps {
  readonly name: string;
  readonly sharedBytes: number;
  init(shared: Int32Array, cpu: number): void;
  readonly operations: readonly UserObjectOperation[];
  readonly spec: SequentialSpec;
}

/** Most operations an object may declare (the op index is recorded in one word; a list for humans). */
export const MAX_OBJECT_OPERATIONS = 64;

function bad(file: string, field: string, rule: string, v: unknown): TortureError {
  return opsModuleError('object', file, field, rule, v);
}

/** Whether a value may be an argument or a result (it is recorded in shared memory). */
export function isObjectValue(v: unknown): v is ObjectValue {
  return v === undefined || v === null || typeof v === 'number' || typeof v === 'boolean';
}

const VALUE_RULE = 'a number, a boolean, null or undefined';

function checkOperation(file: string, i: number, o: unknown, names: Set<string>): UserObjectOperation {
  const f = `operations[${i}]`;
  if (typeof o !== 'object' || o === null) throw bad(file, f, 'an object { name, arg?, call }', o);
  const r = o as Record<string, unknown>;
  const name = r['name'];
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(name)) throw bad(file, `${f}.name`, 'an identifier of 1-32 characters', name);
  if (names.has(name)) throw bad(file, `${f}.name`, 'unique among the operations', name);
  names.add(name);
  if (typeof r['call'] !== 'function') throw bad(file, `${f}.call`, 'a function (shared, arg, ctx) => result', r['call']);
  if (r['arg'] !== undefined && typeof r['arg'] !== 'function') throw bad(file, `${f}.arg`, 'a function (rand, ctx) => argument, or absent', r['arg']);
  return o as UserObjectOperation;
}

function checkSpec(file: string, s: unknown): SequentialSpec {
  if (typeof s !== 'object' || s === null) throw bad(file, 'spec', 'an object { initial, step, partition? }', s);
  const r = s as Record<string, unknown>;
  if (!('initial' in r)) throw bad(file, 'spec.initial', 'the initial state (any value a pure step reads)', undefined);
  if (typeof r['step'] !== 'function') throw bad(file, 'spec.step', 'a function (state, op, arg) => [result, state]', r['step']);
  for (const f of ['partition', 'stateKey'] as const) {
    if (r[f] !== undefined && typeof r[f] !== 'function') throw bad(file, `spec.${f}`, 'a function, or absent', r[f]);
  }
  return s as SequentialSpec;
}

/** Run the spec's step once per operation from the initial state: it must give [result, state]. */
function dryStep(file: string, ops: readonly UserObjectOperation[], spec: SequentialSpec): void {
  for (const op of ops) {
    const where = `spec.step(initial, '${op.name}', arg)`;
    let out: unknown;
    try {
      const arg = op.arg?.(() => 1, { thread: 0, seq: 0 });
      if (!isObjectValue(arg)) throw bad(file, `${op.name}'s arg()`, `return ${VALUE_RULE}`, arg);
      out = spec.step(spec.initial, op.name, arg);
      if (spec.partition !== undefined) spec.partition(op.name, arg);
      if (Array.isArray(out) && out.length === 2) spec.stateKey?.(out[1]);
    } catch (e: unknown) {
      if (e instanceof TortureError) throw e;
      throw bad(file, where, 'callable without throwing', `a throw: ${(e instanceof Error ? e.message : String(e)).split('\n')[0] ?? ''}`);
    }
    if (!Array.isArray(out) || out.length !== 2) throw bad(file, where, 'an array [result, state]', out);
    if (!isObjectValue(out[0])) throw bad(file, `${where}[0]`, VALUE_RULE, out[0]);
  }
}

/** Check the shape of a module namespace; returns its object. */
export function checkObjectModule(mod: unknown, file: string): UserObjectOps {
  const ns = mod as Record<string, unknown>;
  const obj = ns['default'] ?? ns['object'];
  if (typeof obj !== 'object' || obj === null) throw bad(file, 'export default (or export object)', 'an object-ops object', obj);
  const o = obj as Record<string, unknown>;
  const name = o['name'];
  if (typeof name !== 'string' || !/^[a-z0-9_]{1,32}$/.test(name)) throw bad(file, 'name', 'a string of 1-32 characters [a-z0-9_]', name);
  const sb = o['sharedBytes'];
  if (typeof sb !== 'number' || !Number.isInteger(sb) || sb < 0 || sb > USER_OPS_MAX_SHARED_BYTES) {
    throw bad(file, 'sharedBytes', `an integer from 0 to ${USER_OPS_MAX_SHARED_BYTES}`, sb);
  }
  if (typeof o['init'] !== 'function') throw bad(file, 'init', 'a function', o['init']);
  const ops = o['operations'];
  if (!Array.isArray(ops) || ops.length === 0 || ops.length > MAX_OBJECT_OPERATIONS) {
    throw bad(file, 'operations', `an array of 1 to ${MAX_OBJECT_OPERATIONS} operations`, ops);
  }
  const names = new Set<string>();
  const checked = ops.map((x: unknown, i) => checkOperation(file, i, x, names));
  const spec = checkSpec(file, o['spec']);
  dryStep(file, checked, spec);
  return obj as UserObjectOps;
}
