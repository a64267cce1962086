/*
 * The recheck rules every suite shares, in kvm-recheck.sh's output order. Each is a pure function
 * of the scenario's files (harness/formats/recheck_rule.ts); verdict.ts runs them in this order. A new rule is one
 * function and one entry in RECHECK_RULES (see README.md here).
 *
 * Departures: a guest that exited nonzero (oops, hang) still has its console parsed (qemu errors
 * in kvm.sh usually leave no console worth reading; ours always do); a killed guest's line says
 * what the state dump it printed before the kill names as stuck (`Guest killed: w/7 waits for ...`),
 * where kvm.sh leaves `!!! PID ... hung` in its Warnings file.
 */

import { KILLED_RETVAL } from '../guest/guest_spec.js';
import type { Finding, RecheckRule } from '../formats/recheck_rule.js';
import { stateDumpStuck } from '../formats/console_lines.js';
import { HOTPLUG_FAILURES, NO_SUCCESS_MESSAGE } from './parse_console.js';

function tail(text: string, n: number): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-n);
}

/** Guest exit status (kvm-recheck's qemu-retval handling). */
const guestExitStatus: RecheckRule = ({ retval, files, stoppedBy }) => {
  if (stoppedBy !== null) return [{ lines: [`Guest stopped by ${stoppedBy}`], reasons: [] }];
  if (retval === null) return [{ lines: ['WARNING: no guest-retval: guest did not finish (run interrupted?)'], reasons: ['no guest-retval'] }];
  if (retval === KILLED_RETVAL) {
    // The state dump the monitor asked for before the kill (harness/cpu/show_state.ts) says what was stuck.
    const stuck = files.console === null ? null : stateDumpStuck(files.console.split('\n'));
    if (stuck === null) return [{ lines: ['Guest killed'], reasons: ['guest killed (SIGKILL)'] }];
    return [{ lines: [`Guest killed: ${stuck}`], reasons: [`guest killed (SIGKILL): ${stuck}`] }];
  }
  if (retval === 0) return [];
  // qemu-output since the kvm.sh-compatible layout; guest-output in older results.
  const out = files.qemuOutput ?? files.guestOutput;
  const shown = out === null || out.trim() === '' ? [] : tail(out, 20);
  const reasons = [`guest exit code ${retval}`];
  // The guest's own heap (--memory's share of its main thread) ran out: V8's fatal error.
  if (out?.includes('JavaScript heap out of memory') === true) reasons.push('out of memory');
  return [{ lines: [`Guest error, exit code ${retval}${shown.length > 0 ? ', output:' : ''}`, ...shown], reasons }];
};

/** What the guest itself saw (oops, hang), from guest-result.json. */
const guestProblems: RecheckRule = ({ files }) => (files.result?.problems ?? []).map((p) => ({ lines: [`Guest problem: ${p}`], reasons: [p] }));

/** `#CHECK#` lines of ConfigFragment.input against `.config`, in configcheck.sh's output form. */
const configCheck: RecheckRule = ({ files }) => {
  const input = files.configFragmentInput;
  const dot = files.dotConfig;
  if (input === null || dot === null) return [];
  const have = new Map<string, string>();
  for (const l of dot.split('\n')) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(l.trim());
    if (m !== null) have.set(m[1] ?? '', m[2] ?? '');
  }
  const out: Finding[] = [];
  for (const l of input.split('\n')) {
    const m = /^#CHECK#(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(l.trim());
    if (m === null) continue;
    const key = m[1] ?? '';
    const want = (m[2] ?? '').trim() === 'N' ? 'n' : (m[2] ?? '').trim();
    const got = have.get(key) ?? 'n';
    if (got !== want) {
      const line = `:${key}=${m[2] ?? ''}: improperly set`;
      out.push({ lines: [line], reasons: [line], configError: true });
    }
  }
  return out;
};

/** parse-console.sh and console-badness.sh over console.log (parse_console.ts). */
const consoleFindings: RecheckRule = ({ facts, files, stoppedBy }) => {
  if (facts === null) return [{ lines: ['BUG: guest failed: no console output', `    ${files.dir}`], reasons: stoppedBy === null ? ['no console.log'] : [] }];
  // A stopped guest never reached its end-of-test line: its absence is the stop, not a failure.
  const reasons = stoppedBy === null ? facts.reasons : facts.reasons.filter((r) => r !== NO_SUCCESS_MESSAGE && r !== HOTPLUG_FAILURES);
  return [{ lines: facts.lines, reasons }];
};

/** The suite's own rules (harness/suites/); a scenario of no known suite is judged as rcu. */
const suiteRules: RecheckRule = (input) => input.suiteRules.flatMap((r) => r(input));

/**
 * kvm.sh's Warnings file: a guest that ended well before its duration. The duration is test
 * time here (harness/guest/README.md), so the console's test time is compared when it has one
 * (a guest's own seconds include its boot).
 */
const completedIn: RecheckRule = ({ files, facts }) => {
  const completedSec = facts?.testSec ?? files.result?.seconds ?? null;
  const durationSec = files.spec?.durationSec ?? null;
  if (completedSec === null || durationSec === null || Math.floor(completedSec) + 1 >= durationSec) return [];
  return [{ lines: [`Completed in ${Math.floor(completedSec)} vs. ${durationSec}`], reasons: [] }];
};

export const RECHECK_RULES: readonly RecheckRule[] = [guestExitStatus, guestProblems, configCheck, consoleFindings, suiteRules, completedIn];
