/*
 * Parsers for the scenario data files in kernel syntax (tools/testing/selftests/rcutorture/configs/):
 *   - Kconfig fragments (`CFcommon`, `TREE05`, `--kconfig`): `CONFIG_X=y|n|N|number|"string"`,
 *     `#CHECK#CONFIG_X=v` (a check, not applied), `# CONFIG_X is not set` (= n), `#` comments;
 *   - boot files (`TREE05.boot`, `--bootargs`): command-line words, `#` to end of line is a comment;
 *   - `CFLIST`: scenario names, whitespace separated, `#` comments.
 *
 * Guarantees: every key is looked up in known_options.ts for the suite and every value checked
 * against its pattern; a problem is a TortureError naming `file:line`, the key and what is expected.
 * Does not merge or apply defaults (scenario.ts does).
 */

import { TortureError } from '../errors.js';
import type { TortureSuite } from '../guest/guest_spec.js';
import { knownOption, type KnownOption } from './known_options.js';

export interface KconfigSetting {
  readonly key: string;
  readonly value: string;
  /** `file:line` (or `--kconfig`) for error messages. */
  readonly where: string;
}

export interface KconfigFragment {
  readonly settings: readonly KconfigSetting[];
  readonly checks: readonly KconfigSetting[];
}

export interface BootWord {
  readonly key: string;
  /** The value after `=`; '' for a bare word. */
  readonly value: string;
  /** The word as written. */
  readonly word: string;
  readonly where: string;
}

const KCONFIG_LINE = /^(#CHECK#)?(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const NOT_SET_LINE = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/;
/** kvm.sh's check on --configs names and CFLIST entries. */
export const SCENARIO_NAME = /^[^/.a-z]+$/;

function lookup(suite: TortureSuite, kind: KnownOption['kind'], key: string, where: string, shown: string): KnownOption {
  const opt = knownOption(key);
  if (opt === undefined || opt.kind !== kind) {
    const what = kind === 'kconfig' ? 'Kconfig option' : 'boot parameter';
    throw new TortureError(
      'CONFIG_UNKNOWN_KEY',
      `Cannot load ${where} as '${key}' must be a ${what} the model knows (harness/config/known_options.ts): current value is ${shown}`,
    );
  }
  if (!opt.suites.includes(suite)) {
    throw new TortureError(
      'CONFIG_UNKNOWN_KEY',
      `Cannot load ${where} as '${key}' must be used only with --torture ${opt.suites.join('|')}: current value is ${shown} in the ${suite} suite`,
    );
  }
  return opt;
}

function checkValue(opt: KnownOption, value: string, where: string): void {
  if (opt.refused !== undefined) {
    const readme = opt.suites.length === 1 ? `configs/${opt.suites[0] ?? ''}/README.md` : 'configs/*/README.md';
    throw new TortureError(
      'CONFIG_BAD_VALUE',
      `Cannot load ${where} as '${opt.key}' must be left unset: not modelled by this kernel (${opt.refused}; refused, see ${readme}): current value is ${value === '' ? '(empty)' : value}`,
    );
  }
  if (!opt.accepts(value)) {
    throw new TortureError(
      'CONFIG_BAD_VALUE',
      `Cannot load ${where} as '${opt.key}' must be ${opt.expect}: current value is ${value === '' ? '(empty)' : value}`,
    );
  }
}

/** Kconfig `N` means `n`; everything else is kept as written (strings keep their quotes). */
function normalizeKconfig(value: string): string {
  return value === 'N' ? 'n' : value;
}

/**
 * Parse a Kconfig fragment. `name` is how the file is shown in errors (`configs/rcu/TREE05`).
 * Lines are numbered from 1; for `--kconfig` the caller passes the words as lines and a name.
 */
export function parseKconfigFragment(text: string, name: string, suite: TortureSuite, lineLabel = true): KconfigFragment {
  const settings: KconfigSetting[] = [];
  const checks: KconfigSetting[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    const where = lineLabel ? `${name}:${i + 1}` : name;
    if (line === '') continue;
    const notSet = NOT_SET_LINE.exec(line);
    if (notSet !== null) {
      const key = notSet[1] ?? '';
      const opt = lookup(suite, 'kconfig', key, where, line);
      _refuseDerived(opt, false, where, line);
      settings.push({ key, value: 'n', where });
      continue;
    }
    const m = KCONFIG_LINE.exec(line);
    if (m === null) {
      if (line.startsWith('#')) continue;
      throw new TortureError(
        'CONFIG_BAD_FILE',
        `Cannot load ${where} as 'line' must be CONFIG_NAME=value, #CHECK#CONFIG_NAME=value or a # comment: current value is ${line}`,
      );
    }
    const isCheck = m[1] !== undefined;
    const key = m[2] ?? '';
    const value = normalizeKconfig((m[3] ?? '').trim());
    const opt = lookup(suite, 'kconfig', key, where, line);
    checkValue(opt, m[3]?.trim() ?? '', where);
    _refuseDerived(opt, isCheck, where, line);
    (isCheck ? checks : settings).push({ key, value, where });
  }
  return { settings, checks };
}

function _refuseDerived(opt: KnownOption, isCheck: boolean, where: string, shown: string): void {
  if (opt.derive !== undefined && opt.settable !== true && opt.ignoresSet !== true && !isCheck) {
    throw new TortureError(
      'CONFIG_BAD_VALUE',
      `Cannot load ${where} as '${opt.key}' must only be checked (#CHECK#${opt.key}=...) because the model derives it: current value is ${shown}`,
    );
  }
}

/** Strip a `#` comment to end of line. */
function stripComment(line: string): string {
  const hash = line.indexOf('#');
  return hash < 0 ? line : line.slice(0, hash);
}

/** Parse boot words (a `.boot` file or `--bootargs`), checking each against the registry. */
export function parseBootWords(text: string, name: string, suite: TortureSuite, lineLabel = true): BootWord[] {
  const out: BootWord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const where = lineLabel ? `${name}:${i + 1}` : name;
    for (const word of stripComment(lines[i] ?? '').split(/\s+/)) {
      if (word === '') continue;
      const eq = word.indexOf('=');
      const key = eq < 0 ? word : word.slice(0, eq);
      const value = eq < 0 ? '' : word.slice(eq + 1);
      const opt = lookup(suite, 'boot', key, where, word);
      checkValue(opt, value, where);
      out.push({ key, value, word, where });
    }
  }
  return out;
}

/** Parse a CFLIST: scenario names, checked against kvm.sh's name pattern. */
export function parseCflist(text: string, name: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    for (const word of stripComment(lines[i] ?? '').split(/\s+/)) {
      if (word === '') continue;
      if (!SCENARIO_NAME.test(word)) {
        throw new TortureError(
          'CONFIG_BAD_FILE',
          `Cannot load ${name}:${i + 1} as 'scenario name' must match ^[^/.a-z]+$: current value is ${word}`,
        );
      }
      out.push(word);
    }
  }
  return out;
}
