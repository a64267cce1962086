/*
 * `torture again` reads a results directory's scenario.json and guest-spec.json back, and what it
 * reads back is input: it is checked as configs/ are (harness/config/), so that a damaged or
 * edited file is one line and exit 2 before anything starts — a scenario.json saying 0 CPUs used
 * to boot a guest that wedged until the monitor killed it. The Kconfig symbols and boot words go
 * through the same parsers as a scenario file and --bootargs (known keys, valid values), and
 * every field derived from them (the boot line, the parameters, the .config, NR_CPUS) must be
 * what they give. Only the fields `again` uses are checked; the result is the Scenario to rerun.
 */

import { isDeepStrictEqual } from 'node:util';
import { intRange } from '../cli/option_kinds.js';
import { SCENARIO_NAME, parseBootWords, parseKconfigFragment } from '../config/fragment_parse.js';
import { KNOWN_OPTIONS, MAX_GUEST_CPUS } from '../config/known_options.js';
import { computeNrCpus, type Scenario } from '../config/scenario.js';
import { MAX_RUN_SEC } from '../cli/duration.js';
import { TortureError } from '../errors.js';
import type { GuestSpec, TortureSuite } from '../guest/guest_spec.js';
import { isTortureSuite } from '../suites/index.js';
import { MEMORY } from './driver_options.js';

type Json = Readonly<Record<string, unknown>>;

function bad(file: string, what: string, rule: string, value: unknown): TortureError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value) ?? 'absent';
  return new TortureError('CONFIG_BAD_FILE', `Cannot run again as '${what}' in ${file} must be ${rule}: current value is ${shown.length > 80 ? `${shown.slice(0, 80)}...` : shown}`);
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringRecord(v: unknown): v is Readonly<Record<string, string>> {
  return isObject(v) && Object.values(v).every((x) => typeof x === 'string');
}

function isStringArray(v: unknown): v is readonly string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function isCount(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** `field` of `o`, or the one-line error when `ok` refuses it. */
function field<T>(file: string, o: Json, key: string, rule: string, ok: (v: unknown) => v is T): T {
  const v = o[key];
  if (!ok(v)) throw bad(file, key, rule, v);
  return v;
}

/** Run `name`'s scenario.json (`json`, parsed), checked as configs/ are; the Scenario to rerun. */
export function checkScenarioJson(file: string, name: string, json: unknown): Scenario {
  if (!isObject(json)) throw bad(file, 'the file', 'the JSON object a run wrote', json);
  const suite = field(file, json, 'suite', 'a torture suite (rcu, lock)', (v): v is TortureSuite => typeof v === 'string' && isTortureSuite(v));
  if (json['name'] !== name) throw bad(file, 'name', `the run's name in batches (${name})`, json['name']);
  const baseName = field(file, json, 'baseName', 'a scenario name (^[^/.a-z]+$)', (v): v is string => typeof v === 'string' && SCENARIO_NAME.test(v));
  const kconfig = field(file, json, 'kconfig', 'an object of CONFIG_X: value strings', isStringRecord);
  // The same parsers as a scenario file and --bootargs: unknown keys and bad values are refused.
  const lines = Object.entries(kconfig).map(([k, v]) => `${k}=${v}`);
  const checked = parseKconfigFragment(lines.join('\n'), `${file} (kconfig)`, suite, false);
  if (checked.checks.length > 0) throw bad(file, 'kconfig', 'Kconfig settings (no #CHECK# lines)', '#CHECK#...');
  const bootWords = field(file, json, 'bootWords', 'an array of boot words', isStringArray);
  if (bootWords.some((w) => w === '' || /\s/.test(w))) throw bad(file, 'bootWords', 'boot words without spaces', bootWords);
  const words = parseBootWords(bootWords.join(' '), `${file} (boot line)`, suite, false);
  const bootParams = Object.fromEntries(words.map((w) => [w.key, w.value]));
  if (!isDeepStrictEqual(json['bootParams'], bootParams)) throw bad(file, 'bootParams', 'the parameters of its bootWords', json['bootParams']);
  if (json['bootLine'] !== bootWords.join(' ')) throw bad(file, 'bootLine', 'its bootWords joined by spaces', json['bootLine']);
  const dotConfig: Record<string, string> = { ...kconfig };
  for (const o of KNOWN_OPTIONS) if (o.derive !== undefined) dotConfig[o.key] = o.derive(kconfig);
  if (!isDeepStrictEqual(json['dotConfig'], dotConfig)) throw bad(file, 'dotConfig', 'its kconfig with the symbols the model derives', json['dotConfig']);
  const nrCpus = field(file, json, 'nrCpus', `an integer from 1 to ${MAX_GUEST_CPUS} CPUs per guest`, (v): v is number => isCount(v, 1, MAX_GUEST_CPUS));
  const derived = computeNrCpus(name, kconfig, bootParams);
  if (nrCpus !== derived) throw bad(file, 'nrCpus', `${derived}, as its kconfig and boot line give (CONFIG_NR_CPUS lowered by maxcpus=/nr_cpus=)`, nrCpus);
  const durationSec = field(file, json, 'durationSec', `an integer from 1 to ${MAX_RUN_SEC} seconds`, (v): v is number => isCount(v, 1, MAX_RUN_SEC));
  const checks = field(file, json, 'checks', 'an array of {key, want, where} strings', (v): v is Scenario['checks'] => Array.isArray(v) && v.every((c) => isStringRecord(c) && ['key', 'want', 'where'].every((k) => typeof c[k] === 'string')));
  const notes = field(file, json, 'notes', 'an array of log lines', isStringArray);
  const fragmentInput = field(file, json, 'fragmentInput', 'the text of ConfigFragment.input', (v): v is string => typeof v === 'string');
  return { name, baseName, suite, kconfig, dotConfig, checks, bootWords, bootParams, bootLine: bootWords.join(' '), nrCpus, durationSec, notes, fragmentInput };
}

/** What `again` takes of a run's guest-spec.json (the rest is rebuilt from scenario.json). */
export type AgainSpec = Pick<GuestSpec, 'shutdownGraceSec' | 'memoryMb' | 'opsModule'>;

/** Run `s`'s guest-spec.json (`json`, parsed), checked against its scenario and as the options are. */
export function checkGuestSpecJson(file: string, s: Scenario, json: unknown): AgainSpec {
  if (!isObject(json)) throw bad(file, 'the file', 'the JSON object a run wrote', json);
  if (json['scenario'] !== s.name) throw bad(file, 'scenario', `the run's name (${s.name})`, json['scenario']);
  if (json['suite'] !== s.suite) throw bad(file, 'suite', `its scenario.json's suite (${s.suite})`, json['suite']);
  if (json['nrCpus'] !== s.nrCpus) throw bad(file, 'nrCpus', `its scenario.json's nrCpus (${s.nrCpus})`, json['nrCpus']);
  const graceText = String(json['shutdownGraceSec']);
  const shutdownGraceSec = intRange('SECS', 0, MAX_RUN_SEC).parse(graceText, `shutdownGraceSec in ${file}`);
  const memory = json['memoryMb'];
  const memoryMb = memory === undefined ? undefined : MEMORY.parse(String(memory), `memoryMb in ${file}`);
  const ops = json['opsModule'];
  if (ops !== undefined && (typeof ops !== 'string' || ops === '')) throw bad(file, 'opsModule', 'the path of the --ops module', ops);
  return { shutdownGraceSec, ...(memoryMb !== undefined ? { memoryMb } : {}), ...(ops !== undefined ? { opsModule: ops } : {}) };
}
