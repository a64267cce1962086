/*
 * The child process that loads a lock-ops module for the driver's check (ops_check.ts), so that
 * the user's top-level code never runs in the driver: a module that calls process.exit(), loops
 * forever or never settles its top-level await ends or wedges this process, not `torture`.
 *
 * Usage (by ops_check.ts only): node dist/harness/torture/ops_check_child.js <module file> [lock|object]
 * (the shape checked: a lock's, user_ops.ts, or a concurrent object's, object_ops.ts).
 *
 * It writes ONE line of JSON, an OpsCheckVerdict (ops_check_protocol.ts), to VERDICT_FD, then
 * exits. writeSync, because the verdict must be out before process.exit() and before the event
 * loop is gone.
 */

import { writeSync } from 'node:fs';
import { isTortureError } from '../errors.js';
import { VERDICT_FD, type OpsCheckVerdict } from './ops_check_protocol.js';
import { checkObjectModule } from './object_ops.js';
import { checkOpsModule, importChecked } from './user_ops.js';

function report(v: OpsCheckVerdict): never {
  writeSync(VERDICT_FD, `${JSON.stringify(v)}\n`);
  // Whatever the module left running (timers, handles) must not keep the check alive.
  process.exit(0);
}

const file = process.argv[2] ?? '';
const kind = process.argv[3] === 'object' ? 'object' : 'lock';
let settled = false;
// Node ends a process whose event loop is empty even while an import() is pending: that is a
// top-level await that can never settle (a bare `node module.mjs` would exit 13 saying so).
process.on('beforeExit', () => {
  if (!settled) report({ kind: 'unsettled' });
});

// Not a top-level await here: an unsettled one would end this process with status 13 before
// the beforeExit above could say why.
void (async () => {
  try {
    const ops = kind === 'object' ? await importChecked(file, kind, checkObjectModule) : await importChecked(file, kind, checkOpsModule);
    settled = true;
    report({ kind: 'ok', name: ops.name, sharedBytes: ops.sharedBytes });
  } catch (e: unknown) {
    settled = true;
    report({ kind: 'bad', message: isTortureError(e) ? e.message : `Cannot load ${kind} ops module as '${file}' must load without errors: current value is ${String(e)}` });
  }
})();
