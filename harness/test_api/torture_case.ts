/*
 * One torture case from a test runner: the `torture` command line it is (the same words a person
 * would type, and the `rerun` the verdict gives back), built from typed options.
 *
 * The case is a shipped scenario of the suite (LOCK01, OBJ01: a CONFIG_PREEMPT machine of 4 CPUs
 * with CPU hotplug) changed by Kconfig words (--kconfig), which the scenario's own fragment does
 * not override: CPUs are CONFIG_NR_CPUS, hotplug is CONFIG_HOTPLUG_CPU (the suite then adds its
 * onoff parameters), the preemption model is the CONFIG_PREEMPT_* triple.
 */

import { randomInt } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandLineOf } from '../cli/shell_quote.js';
import { TortureError } from '../errors.js';

export const PREEMPTION_MODELS = ['none', 'voluntary', 'full'] as const;
export type PreemptionModel = (typeof PREEMPTION_MODELS)[number];

export interface TortureOptions {
  /** Guest CPUs (CONFIG_NR_CPUS); default: the scenario's 4. */
  readonly cpus?: number;
  /** Test time: seconds as a number, or the CLI's words ('30s', '2m'); default 10 s. */
  readonly duration?: number | string;
  /** CPU hotplug during the test (CONFIG_HOTPLUG_CPU); default on. */
  readonly hotplug?: boolean;
  /** The seed of every random stream (torture.random_seed); default: chosen here, returned in the verdict. */
  readonly seed?: number;
  /** CONFIG_PREEMPT_NONE, _VOLUNTARY or CONFIG_PREEMPT (full, the default). */
  readonly preemption?: PreemptionModel;
  /** Extra boot parameters (`objecttorture.nops=20000`). */
  readonly bootargs?: string;
  /** Results root (default: ./results, as the CLI's). */
  readonly results?: string;
}

export type TortureKind = 'lock' | 'object';

/** The shipped scenario each kind runs (changed by the options). */
const SCENARIO: Readonly<Record<TortureKind, string>> = { lock: 'LOCK01', object: 'OBJ01' };

const DEFAULT_DURATION = '10s';
const MAX_SEED = 0xffffffff;

function bad(what: string, rule: string, v: unknown): TortureError {
  return new TortureError('USAGE', `Cannot use ${what} as it must be ${rule}: current value is ${String(v)}`);
}

/** The module's absolute path (a path relative to the current directory, or a file: URL). */
export function modulePath(m: string | URL): string {
  if (m instanceof URL || m.startsWith('file:')) return fileURLToPath(m);
  return path.resolve(m);
}

function durationWord(d: number | string | undefined): string {
  if (d === undefined) return DEFAULT_DURATION;
  if (typeof d === 'number') {
    if (!Number.isInteger(d) || d < 1) throw bad('duration', 'a whole number of seconds >= 1', d);
    return `${d}s`;
  }
  return d;
}

function kconfigWords(o: TortureOptions): string[] {
  const w: string[] = [];
  if (o.cpus !== undefined) {
    if (!Number.isInteger(o.cpus) || o.cpus < 1) throw bad('cpus', 'an integer >= 1', o.cpus);
    w.push(`CONFIG_NR_CPUS=${o.cpus}`);
  }
  if (o.hotplug !== undefined) w.push(`CONFIG_HOTPLUG_CPU=${o.hotplug ? 'y' : 'n'}`);
  if (o.preemption !== undefined) {
    if (!PREEMPTION_MODELS.includes(o.preemption)) throw bad('preemption', PREEMPTION_MODELS.join(', '), o.preemption);
    const p = o.preemption;
    w.push(`CONFIG_PREEMPT_NONE=${p === 'none' ? 'y' : 'n'}`, `CONFIG_PREEMPT_VOLUNTARY=${p === 'voluntary' ? 'y' : 'n'}`, `CONFIG_PREEMPT=${p === 'full' ? 'y' : 'n'}`);
  }
  return w;
}

/** A case: its CLI arguments (what defines it), its seed, and where its results go. */
export interface TortureCase {
  readonly kind: TortureKind;
  readonly scenario: string;
  readonly seed: number;
  /** The arguments that define the case (no results location): `rerun` is `torture` + these. */
  readonly caseArgs: readonly string[];
  readonly resultsRoot: string;
}

export function tortureCase(kind: TortureKind, module: string | URL, o: TortureOptions = {}): TortureCase {
  const seed = o.seed ?? randomInt(0, MAX_SEED + 1);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw bad('seed', `an integer from 0 to ${MAX_SEED}`, seed);
  const scenario = SCENARIO[kind];
  const args = ['--torture', kind, '--ops', modulePath(module), '--configs', scenario, '--duration', durationWord(o.duration), '--seed', String(seed)];
  const k = kconfigWords(o);
  if (k.length > 0) args.push('--kconfig', k.join(' '));
  if (o.bootargs !== undefined && o.bootargs.trim() !== '') args.push('--bootargs', o.bootargs.trim());
  return { kind, scenario, seed, caseArgs: args, resultsRoot: path.resolve(o.results ?? 'results') };
}

/** The command line that reruns the case with the same seed (shell-quoted, results in ./results). */
export function rerunCommand(c: TortureCase): string {
  return commandLineOf(c.caseArgs);
}
