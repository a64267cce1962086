/*
 * The driver's check of user lock-ops modules, before anything starts. The user's code never runs
 * in the driver: the module is loaded in a child process (ops_check_child.ts) with a time limit,
 * so that a module that calls process.exit(), loops forever, never settles its top-level await,
 * throws, or exports no usable lock-ops object is one line (TortureError OPS_MODULE, exit 2), not
 * a silent exit 0, a hung driver or an exit 13. A child process rather than a worker thread: the
 * module gets a process of its own (its stdio, its signal and exit handlers, its native add-ons,
 * its memory), and whatever it does there, a SIGKILL ends it.
 *
 * checkUserOps() is the one entry: it finds every scenario that selects the user lock, however
 * it was selected (--ops, --bootargs, a .boot file, a scenario read back by `again`: all end up as
 * locktorture.torture_type=user in the scenario's boot parameters), and checks each module once.
 */

import { spawn } from 'node:child_process';
import path from 'node:path';
import { TortureError } from '../errors.js';
import { builtEntry } from '../lib/dist_entry.js';
import { torture_type } from './lock_torture.js';
import { object_ops_module, object_torture_type } from './object_torture.js';
import { VERDICT_FD, type OpsCheckVerdict } from './ops_check_protocol.js';
import { ops_module } from './user_ops.js';

/**
 * How long the child may take to load and check a module. Generous: a node start and an import
 * take well under a second even on a loaded 2-core host; a module still loading after this is
 * looping or waiting at its top level. README.md documents it.
 */
export const OPS_CHECK_TIMEOUT_SEC = 10;

export interface OpsModuleSummary {
  readonly name: string;
  readonly sharedBytes: number;
}

/** What the parent saw of the child: its verdict line (if any) and how it ended. */
interface ChildEnd {
  readonly verdict: string;
  readonly stderr: string;
  /** `exit status N` or `signal SIGX`: how the child ended. */
  readonly how: string;
  readonly timedOut: boolean;
}

/** How much of the child's stderr is kept: only its end is read. */
const KEPT_CHARS = 4096;
/** How much of fd 3 is kept: the verdict is its last line, whole however long its message. */
const KEPT_VERDICT_CHARS = 1 << 16;

/** Which shape a module must have: a lock's (user_ops.ts) or a concurrent object's (object_ops.ts). */
export type OpsKind = 'lock' | 'object';

function runChild(file: string, timeoutSec: number, kind: OpsKind): Promise<ChildEnd> {
  const entry = builtEntry('opsCheckChild', 'check the lock ops module');
  const stdio: ('ignore' | 'pipe')[] = ['ignore', 'ignore', 'pipe'];
  for (let fd = stdio.length; fd <= VERDICT_FD; fd++) stdio.push('pipe');
  const child = spawn(process.execPath, [entry, file, kind], { stdio });
  let verdict = '';
  let stderr = '';
  // A module that prints without end must not fill the driver's memory.
  child.stdio[VERDICT_FD]?.on('data', (b: Buffer) => (verdict = (verdict + b.toString()).slice(-KEPT_VERDICT_CHARS)));
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-KEPT_CHARS)));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      // Not waiting for 'close': a grandchild the module started may hold the pipes open.
      for (const s of child.stdio) s?.destroy();
      // A verdict already given stands: only a grandchild kept the pipes open past the limit.
      resolve({ verdict, stderr, how: 'signal SIGKILL', timedOut: parseVerdict(verdict) === null });
    }, timeoutSec * 1000);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ verdict: '', stderr: err.message, how: 'no process', timedOut: false });
    });
    // 'close', not 'exit': the verdict line must have been read from the pipe.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ verdict, stderr, how: signal !== null ? `signal ${signal}` : `exit status ${code ?? 'unknown'}`, timedOut: false });
    });
  });
}

function parseVerdict(text: string): OpsCheckVerdict | null {
  const line = text.trim().split('\n').at(-1) ?? '';
  try {
    const v = JSON.parse(line) as Partial<Record<string, unknown>>;
    if (v['kind'] === 'ok' && typeof v['name'] === 'string' && typeof v['sharedBytes'] === 'number') return { kind: 'ok', name: v['name'], sharedBytes: v['sharedBytes'] };
    if (v['kind'] === 'bad' && typeof v['message'] === 'string') return { kind: 'bad', message: v['message'] };
    if (v['kind'] === 'unsettled') return { kind: 'unsettled' };
  } catch {
    // Not a verdict (the module wrote to fd 3, or the child died mid-line): judged by the exit.
  }
  return null;
}

function opsError(file: string, rule: string, current: string, kind: OpsKind): TortureError {
  return new TortureError('OPS_MODULE', `Cannot load ${kind} ops module as '${file}' must ${rule}: current value is ${current}`);
}

/** The last line the child printed on stderr (an uncaught error's), shortened, or ''. */
function lastLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^(at |\(Use `node|Node\.js v)/.test(l));
  const l = lines.at(-1) ?? '';
  return l.length > 200 ? `${l.slice(0, 200)}...` : l;
}

/**
 * validateOpsModule(): load `file` in a child process and check it there, within `timeoutSec`.
 * Returns the module's name and shared size; throws TortureError('OPS_MODULE', one line).
 */
export async function validateOpsModule(file: string, timeoutSec: number = OPS_CHECK_TIMEOUT_SEC, kind: OpsKind = 'lock'): Promise<OpsModuleSummary> {
  const end = await runChild(file, timeoutSec, kind);
  if (end.timedOut) throw opsError(file, `finish loading within ${timeoutSec} s`, `still loading after ${timeoutSec} s (a loop or a wait at its top level?)`, kind);
  const v = parseVerdict(end.verdict);
  if (v === null) {
    const why = lastLine(end.stderr);
    throw opsError(file, 'load without ending the process', `${end.how} while loading${why === '' ? '' : ` (${why})`}`, kind);
  }
  switch (v.kind) {
    case 'ok':
      return { name: v.name, sharedBytes: v.sharedBytes };
    case 'bad':
      throw new TortureError('OPS_MODULE', v.message);
    case 'unsettled':
      throw opsError(file, 'settle its top-level await', 'a top-level await that never settles', kind);
  }
}

/** A scenario as far as the check needs it. */
export interface UserOpsScenario {
  readonly name: string;
  readonly bootParams: Readonly<Record<string, string>>;
}

/**
 * The lock-ops module each scenario selects (torture_type `user`), checked: `torture_type=user`
 * needs an absolute `ops_module` (the guest runs in its results directory, so a relative path
 * would name another file there), and `ops_module` means nothing without `torture_type=user`.
 */
/** The torture modules with a `user` type: the parameters that select it and name its module, and its shape. */
const USER_OPS_SELECTORS = [
  { type: torture_type, module: ops_module, kind: 'lock' },
  { type: object_torture_type, module: object_ops_module, kind: 'object' },
] as const;

function selectedModules(scenarios: Iterable<UserOpsScenario>): Map<string, OpsKind> {
  const files = new Map<string, OpsKind>();
  for (const s of scenarios) {
    for (const { type: typeParam, module, kind } of USER_OPS_SELECTORS) {
      const type = typeParam.from(s.bootParams);
      const file = module.from(s.bootParams);
      if (type !== 'user') {
        if (file !== '') throw new TortureError('OPS_MODULE', `Cannot use ${module.name} in scenario ${s.name} as '${typeParam.name}' must be user (or use --ops FILE): current value is ${type}`);
        continue;
      }
      if (file === '') throw new TortureError('OPS_MODULE', `Cannot run scenario ${s.name} as '${module.name}' must name the ${kind}-ops module of ${typeParam.name}=user (or use --ops FILE): current value is unset`);
      if (!file.startsWith('file:') && !path.isAbsolute(file)) {
        throw new TortureError('OPS_MODULE', `Cannot run scenario ${s.name} as '${module.name}' must be an absolute path (--ops FILE makes it one): current value is ${file}`);
      }
      files.set(file, kind);
    }
  }
  return files;
}

/** checkUserOps(): every user lock-ops or object-ops module the scenarios select, loaded and checked in a child. */
export async function checkUserOps(scenarios: Iterable<UserOpsScenario>, timeoutSec: number = OPS_CHECK_TIMEOUT_SEC): Promise<void> {
  for (const [file, kind] of selectedModules(scenarios)) await validateOpsModule(file, timeoutSec, kind);
}
