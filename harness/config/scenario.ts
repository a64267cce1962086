/*
 * One scenario, loaded and frozen: the analogue of kvm-test-1-run.sh's ConfigFragment + boot line
 * (tools/testing/selftests/rcutorture/bin/). Kconfig = CFcommon, then the scenario fragment, then --kconfig (later
 * wins). Boot line = the scenario's .boot, then --bootargs, then the suite defaults
 * (suite_defaults.ts). NR_CPUS = CONFIG_NR_CPUS (1 when CONFIG_SMP=n, 8192 with CONFIG_MAXSMP)
 * lowered by maxcpus=/nr_cpus=, as configNR_CPUS.sh and configfrag_boot_cpus do.
 *
 * Guarantees: a Scenario exists only if every file parsed and every key/value is known and valid;
 * it is deeply frozen. Any problem is a TortureError (exit 2) naming file:line.
 * Does not evaluate #CHECK# lines: they are recorded and judged after the run (recheck), as
 * configcheck.sh judges the built .config.
 */

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { TortureError } from '../errors.js';
import type { GuestSpec, TortureSuite } from '../guest/guest_spec.js';
import { parseBootWords, parseKconfigFragment, type BootWord, type KconfigSetting } from './fragment_parse.js';
import { KNOWN_OPTIONS, MAX_GUEST_CPUS } from './known_options.js';
import { maxcpus, nr_cpus } from '../../kernels/core_params.js';
import { suiteDefaults } from './suite_defaults.js';

export interface KconfigCheck {
  readonly key: string;
  readonly want: string;
  readonly where: string;
}

export interface Scenario {
  /** Name as run, with repeat suffix: `TREE05`, `TREE05.2`. */
  readonly name: string;
  /** Name of the config file: `TREE05`. */
  readonly baseName: string;
  readonly suite: TortureSuite;
  /** Merged Kconfig as set (CFcommon, fragment, --kconfig). */
  readonly kconfig: Readonly<Record<string, string>>;
  /** `kconfig` plus the symbols the model derives: the analogue of the built `.config`. */
  readonly dotConfig: Readonly<Record<string, string>>;
  readonly checks: readonly KconfigCheck[];
  /** Every boot word in order (.boot, --bootargs, defaults). */
  readonly bootWords: readonly string[];
  /** `param` -> value, the last occurrence winning as on a kernel command line. */
  readonly bootParams: Readonly<Record<string, string>>;
  readonly bootLine: string;
  readonly nrCpus: number;
  readonly durationSec: number;
  /** Log lines such as `CPU-hotplug kernel, adding rcutorture onoff.` */
  readonly notes: readonly string[];
  /** The text of `ConfigFragment.input`: every Kconfig input, #CHECK# lines included. */
  readonly fragmentInput: string;
}

export interface ScenarioOptions {
  /** Absolute path of `configs/<suite>`. */
  readonly configsDir: string;
  /** How `configsDir` is shown in messages (`configs/rcu`). */
  readonly shownDir: string;
  readonly suite: TortureSuite;
  readonly name: string;
  readonly durationSec: number;
  /** `--bootargs` values, in order. */
  readonly bootargs: readonly string[];
  /** `--kconfig` values, in order. */
  readonly kconfigArgs: readonly string[];
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

/** Scenario names available in a suite directory (files without a dot, except CFLIST/CFcommon). */
export function availableScenarios(configsDir: string): string[] {
  if (!existsSync(configsDir)) return [];
  return readdirSync(configsDir)
    .filter((f) => /^[^/.a-z]+$/.test(f) && f !== 'CFLIST' && f !== 'CFcommon')
    .sort();
}

function readText(file: string, shown: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new TortureError('CONFIG_BAD_FILE', `Cannot read ${shown} as 'file' must be readable: current value is ${String(e)}`, {
      cause: e,
    });
  }
}

function parseNumber(v: string): number {
  return v.startsWith('0x') || v.startsWith('0X') ? Number.parseInt(v.slice(2), 16) : Number.parseInt(v, 10);
}

/** NR_CPUS as kvm.sh computes it (see the header); throws above MAX_GUEST_CPUS. */
export function computeNrCpus(name: string, kconfig: Readonly<Record<string, string>>, boot: Readonly<Record<string, string>>): number {
  let n: number;
  if (kconfig['CONFIG_SMP'] === 'n') n = 1;
  else if (kconfig['CONFIG_MAXSMP'] === 'y') n = 8192;
  else {
    const v = kconfig['CONFIG_NR_CPUS'];
    if (v === undefined) {
      throw new TortureError(
        'CONFIG_BAD_VALUE',
        `Cannot configure scenario ${name} as 'CONFIG_NR_CPUS' must be set for an SMP kernel (or CONFIG_SMP=n): current value is unset`,
      );
    }
    n = parseNumber(v);
  }
  n = Math.min(n, maxcpus.from(boot, n), nr_cpus.from(boot, n));
  if (!(n >= 1 && n <= MAX_GUEST_CPUS)) {
    throw new TortureError(
      'CONFIG_BAD_VALUE',
      `Cannot configure scenario ${name} as 'NR_CPUS' (CONFIG_NR_CPUS lowered by maxcpus=/nr_cpus=) must be from 1 to ${MAX_GUEST_CPUS} CPUs per guest: current value is ${n}`,
    );
  }
  return n;
}

/** Load, merge, default and validate one scenario. */
export function loadScenario(opts: ScenarioOptions): Scenario {
  const { configsDir, shownDir, suite, name } = opts;
  const file = path.join(configsDir, name);
  if (!existsSync(file)) {
    const avail = availableScenarios(configsDir);
    throw new TortureError(
      'CONFIG_UNKNOWN_SCENARIO',
      `Cannot run scenario as '${name}' must be a file in ${shownDir}/ (one of: ${avail.length > 0 ? avail.join(' ') : 'none'}): current value is ${name}`,
    );
  }

  const settings: KconfigSetting[] = [];
  const checks: KconfigSetting[] = [];
  const inputParts: string[] = [];
  const addFragment = (text: string, shown: string, perLine: boolean): void => {
    const frag = parseKconfigFragment(text, shown, suite, perLine);
    settings.push(...frag.settings);
    checks.push(...frag.checks);
    inputParts.push(`# ${shown}`, text.replace(/\n+$/, ''));
  };
  const common = path.join(configsDir, 'CFcommon');
  if (existsSync(common)) addFragment(readText(common, `${shownDir}/CFcommon`), `${shownDir}/CFcommon`, true);
  addFragment(readText(file, `${shownDir}/${name}`), `${shownDir}/${name}`, true);
  for (const arg of opts.kconfigArgs) addFragment(arg.trim().split(/\s+/).join('\n'), '--kconfig', false);

  const kconfig: Record<string, string> = {};
  for (const s of settings) kconfig[s.key] = s.value;
  const dotConfig: Record<string, string> = { ...kconfig };
  for (const o of KNOWN_OPTIONS) if (o.derive !== undefined) dotConfig[o.key] = o.derive(kconfig);

  const words: BootWord[] = [];
  const bootFile = `${file}.boot`;
  if (existsSync(bootFile)) words.push(...parseBootWords(readText(bootFile, `${shownDir}/${name}.boot`), `${shownDir}/${name}.boot`, suite));
  for (const arg of opts.bootargs) words.push(...parseBootWords(arg, '--bootargs', suite, false));
  const bootParams: Record<string, string> = {};
  for (const w of words) bootParams[w.key] = w.value;

  const defaults = suiteDefaults(suite, opts.durationSec, bootParams, kconfig);
  const bootWords = [...words.map((w) => w.word), ...defaults.words];
  for (const w of defaults.words) {
    const eq = w.indexOf('=');
    bootParams[w.slice(0, eq)] = w.slice(eq + 1);
  }

  const nrCpus = computeNrCpus(name, kconfig, bootParams);
  return deepFreeze({
    name,
    baseName: name,
    suite,
    kconfig,
    dotConfig,
    checks: checks.map((c) => ({ key: c.key, want: c.value, where: c.where })),
    bootWords,
    bootParams,
    bootLine: bootWords.join(' '),
    nrCpus,
    durationSec: opts.durationSec,
    notes: defaults.notes,
    fragmentInput: inputParts.join('\n') + '\n',
  });
}

/** The same scenario run under another name (`TREE05.2`). */
export function renameScenario(s: Scenario, name: string): Scenario {
  return name === s.name ? s : deepFreeze({ ...s, name });
}

/**
 * The scenario with boot parameter `key` set to `value`: the word is replaced where it stands (the
 * last occurrence) or appended, and the boot line follows. Used for the seed (torture.random_seed,
 * one per run) and by `torture again --duration` (shutdown_secs).
 */
export function withBootParam(s: Scenario, key: string, value: string, durationSec: number = s.durationSec): Scenario {
  const word = `${key}=${value}`;
  const words = [...s.bootWords];
  let at = -1;
  for (let i = 0; i < words.length; i++) if ((words[i] ?? '').startsWith(`${key}=`)) at = i;
  if (at >= 0) words[at] = word;
  else words.push(word);
  return deepFreeze({ ...s, bootWords: words, bootParams: { ...s.bootParams, [key]: value }, bootLine: words.join(' '), durationSec });
}

/** Text of the `.config` analogue: one `CONFIG_X=v` line per symbol. */
export function dotConfigText(s: Scenario): string {
  return Object.entries(s.dotConfig)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n') + '\n';
}

/** Text of the merged `ConfigFragment`. */
export function configFragmentText(s: Scenario): string {
  return Object.entries(s.kconfig)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n') + '\n';
}

export interface GuestSpecOptions {
  readonly resdir: string;
  readonly shutdownGraceSec: number;
  readonly opsModule?: string;
  readonly memoryMb?: number;
}

/** The contract handed to a guest (harness/guest/guest_spec.ts). */
export function buildGuestSpec(s: Scenario, o: GuestSpecOptions): GuestSpec {
  const spec: GuestSpec = {
    scenario: s.name,
    suite: s.suite,
    resdir: o.resdir,
    kconfig: s.kconfig,
    bootParams: s.bootParams,
    bootLine: s.bootLine,
    nrCpus: s.nrCpus,
    durationSec: s.durationSec,
    shutdownGraceSec: o.shutdownGraceSec,
    ...(o.opsModule !== undefined ? { opsModule: o.opsModule } : {}),
    ...(o.memoryMb !== undefined ? { memoryMb: o.memoryMb } : {}),
  };
  return deepFreeze(spec);
}
