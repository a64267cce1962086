/*
 * Re-derive one scenario run's verdict from its files only (kvm-recheck.sh's per-directory
 * loop): guest-spec.json, guest-retval, guest-result.json, console.log,
 * qemu-output, ConfigFragment.input and .config. Prints, in kvm-recheck's order: the
 * kvm-recheck-{rcu,lock}.sh headline, guest error/killed lines, configcheck lines, parse-console
 * output, and `Completed in X vs. Y` (kvm.sh's Warnings file). Writes `summary.json` and, when
 * something was flagged, `console.log.diags` into the scenario directory.
 *
 * A run FAILS when anything is flagged: a lockdep splat fails it even if rcutorture said SUCCESS,
 * as kvm-recheck counts it as a run with runtime errors.
 * Departures: a guest that exited nonzero (oops, hang) still has its console parsed (qemu errors
 * in kvm.sh usually leave no console worth reading; ours always do); a Reader Batch close-call
 * WARNING (as opposed to BUG) does not fail the run.
 */

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GuestResult, GuestSpec, TortureSuite } from '../guest/guest_spec.js';
import { formatG, parseConsole, type HotplugCounts } from './parse_console.js';

export interface ScenarioSummary {
  readonly scenario: string;
  readonly suite: TortureSuite | null;
  readonly verdict: 'success' | 'failure';
  readonly reasons: readonly string[];
  /** Last `ver:` value (rcutorture writer updates, each needing a grace period). */
  readonly gps?: number;
  readonly gpsPerSec?: number;
  /** locktorture: last Writes Total (what kvm-recheck-lock.sh's headline counts). */
  readonly acquisitions?: number;
  readonly acquisitionsPerSec?: number;
  /** locktorture read-write types: last Reads Total (not in the headline, as in the kernel). */
  readonly readAcquisitions?: number;
  readonly lockdepReports: number;
  readonly lockdepTitles: readonly string[];
  readonly hotplug: HotplugCounts | null;
  readonly durationSec: number | null;
  readonly completedSec: number | null;
  readonly endOfTest: string | null;
  /** Exit code recorded in guest-retval (137 = killed), or null if absent. */
  readonly guestRetval: number | null;
  readonly killed: boolean;
  /** The headline line (`TREE05 ------- 123 GPs (12.3/s) [rcu: g5 f0x0 ]`). */
  readonly headline: string;
}

export interface ScenarioRecheck {
  readonly summary: ScenarioSummary;
  readonly lines: readonly string[];
  /** A `#CHECK#` line failed (kvm-recheck's ".config errors"). */
  readonly configErrors: boolean;
}

export const KILLED_RETVAL = 137;

function readOptional(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function readJson<T>(file: string): T | null {
  const t = readOptional(file);
  if (t === null) return null;
  try {
    return JSON.parse(t) as T;
  } catch {
    return null;
  }
}

/** `#CHECK#` lines of ConfigFragment.input against `.config`, in configcheck.sh's output form. */
function configCheck(dir: string): string[] {
  const input = readOptional(path.join(dir, 'ConfigFragment.input'));
  const dot = readOptional(path.join(dir, '.config'));
  if (input === null || dot === null) return [];
  const have = new Map<string, string>();
  for (const l of dot.split('\n')) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(l.trim());
    if (m !== null) have.set(m[1] ?? '', m[2] ?? '');
  }
  const out: string[] = [];
  for (const l of input.split('\n')) {
    const m = /^#CHECK#(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(l.trim());
    if (m === null) continue;
    const key = m[1] ?? '';
    const want = (m[2] ?? '').trim() === 'N' ? 'n' : (m[2] ?? '').trim();
    const got = have.get(key) ?? 'n';
    if (got !== want) out.push(`:${key}=${m[2] ?? ''}: improperly set`);
  }
  return out;
}

function tail(text: string, n: number): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-n);
}

/** Recheck one scenario directory; writes its summary.json (and console.log.diags). */
export function recheckScenario(dir: string): ScenarioRecheck {
  const name = path.basename(dir);
  const spec = readJson<GuestSpec>(path.join(dir, 'guest-spec.json'));
  const result = readJson<GuestResult>(path.join(dir, 'guest-result.json'));
  const retText = readOptional(path.join(dir, 'guest-retval'));
  const retval = retText === null || !/^\s*-?\d+\s*$/.test(retText) ? null : Number(retText.trim());
  const suiteFile = readOptional(path.join(path.dirname(dir), 'torture_suite'))?.trim();
  const suite: TortureSuite | null = spec?.suite ?? (suiteFile === 'rcu' || suiteFile === 'lock' ? suiteFile : null);
  const consoleFile = path.join(dir, 'console.log');
  const consoleText = readOptional(consoleFile);
  const lines: string[] = [];
  const reasons: string[] = [];
  const durationSec = spec?.durationSec ?? null;

  const facts = consoleText === null ? null : parseConsole(consoleText, consoleFile, name);

  // Headline (kvm-recheck-rcu.sh / kvm-recheck-lock.sh).
  const mod = suite === 'lock' ? 'locktorture' : 'rcutorture';
  const shutdownText = spec?.bootParams[`${mod}.shutdown_secs`];
  const dur = shutdownText !== undefined && Number(shutdownText) > 0 ? Number(shutdownText) : (durationSec ?? 0);
  let headline: string;
  let gps: number | undefined;
  let gpsPerSec: number | undefined;
  let acquisitions: number | undefined;
  let acquisitionsPerSec: number | undefined;
  if (suite === 'lock') {
    if (facts?.acquisitions != null) {
      acquisitions = facts.acquisitions;
      headline = `${name} ------- ${acquisitions} acquisitions/releases`;
      if (dur > 0) {
        acquisitionsPerSec = acquisitions / dur;
        headline += ` (${formatG(acquisitionsPerSec)} per second)`;
      }
    } else headline = `${name} -------`;
  } else if (facts?.lastVer != null) {
    gps = facts.lastVer;
    headline = `${name} ------- ${gps} GPs`;
    if (dur > 0) {
      gpsPerSec = gps / dur;
      headline += ` (${formatG(gpsPerSec)}/s)`;
    }
    if (facts.gpStopState !== '') headline += ` ${facts.gpStopState}`;
  } else {
    // kvm-recheck-rcu.sh: echo "$configfile ------- " $stopstate (the quoted word keeps its space).
    const stop = facts?.gpStopState ?? '';
    headline = `${name} ------- ${stop === '' ? '' : ` ${stop}`}`;
  }
  lines.push(headline);

  // Guest exit status (kvm-recheck's qemu-retval handling).
  const killed = retval === KILLED_RETVAL;
  if (retval === null) {
    lines.push(`WARNING: no guest-retval: guest did not finish (run interrupted?)`);
    reasons.push('no guest-retval');
  } else if (killed) {
    lines.push('Guest killed');
    reasons.push('guest killed (SIGKILL)');
  } else if (retval !== 0) {
    // qemu-output since the kvm.sh-compatible layout; guest-output in older results.
    const out = readOptional(path.join(dir, 'qemu-output')) ?? readOptional(path.join(dir, 'guest-output'));
    const shown = out === null || out.trim() === '' ? [] : tail(out, 20);
    lines.push(`Guest error, exit code ${retval}${shown.length > 0 ? ', output:' : ''}`, ...shown);
    reasons.push(`guest exit code ${retval}`);
    // The guest's own heap (--memory's share of its main thread) ran out: V8's fatal error.
    if (out?.includes('JavaScript heap out of memory') === true) reasons.push('out of memory');
  }
  for (const p of result?.problems ?? []) {
    lines.push(`Guest problem: ${p}`);
    reasons.push(p);
  }

  const cfg = configCheck(dir);
  lines.push(...cfg);
  reasons.push(...cfg);

  if (facts === null) {
    lines.push(`BUG: guest failed: no console output`, `    ${dir}`);
    reasons.push('no console.log');
  } else {
    lines.push(...facts.lines);
    reasons.push(...facts.reasons);
    const closeCalls = facts.readerBatchCloseCalls;
    if (suite !== 'lock' && closeCalls !== null && closeCalls > 0 && dur > 0) {
      const per6min = Math.floor((closeCalls * 36000) / dur);
      const msg = `${closeCalls} Reader Batch close calls in ${Math.floor(dur / 60)} minute run: ${dir}`;
      if (per6min > 5 && closeCalls > 1) {
        lines.push(`BUG: ${msg}`);
        reasons.push(`${closeCalls} Reader Batch close calls`);
      } else lines.push(`WARNING: ${msg}`);
    }
  }

  const completedSec = result?.seconds ?? null;
  if (completedSec !== null && durationSec !== null && Math.floor(completedSec) + 1 < durationSec) {
    lines.push(`Completed in ${Math.floor(completedSec)} vs. ${durationSec}`);
  }

  const diagsFile = `${consoleFile}.diags`;
  if (facts !== null && facts.diags.length > 0) writeFileSync(diagsFile, facts.diags.join('\n') + '\n');
  else if (existsSync(diagsFile)) rmSync(diagsFile);

  const summary: ScenarioSummary = {
    scenario: name,
    suite,
    verdict: reasons.length === 0 ? 'success' : 'failure',
    reasons,
    ...(gps !== undefined ? { gps } : {}),
    ...(gpsPerSec !== undefined ? { gpsPerSec } : {}),
    ...(acquisitions !== undefined ? { acquisitions } : {}),
    ...(acquisitionsPerSec !== undefined ? { acquisitionsPerSec } : {}),
    ...(suite === 'lock' && facts?.readAcquisitions != null ? { readAcquisitions: facts.readAcquisitions } : {}),
    lockdepReports: facts?.badness.lockdep ?? 0,
    lockdepTitles: facts?.lockdepTitles ?? [],
    hotplug: facts?.hotplug ?? null,
    durationSec,
    completedSec,
    endOfTest: facts?.endOfTest ?? null,
    guestRetval: retval,
    killed,
    headline,
  };
  writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return { summary, lines, configErrors: cfg.length > 0 };
}
