/*
 * Stack capture for lockdep: the current JS stack as kernel-style frames `fn (path/file.ts:line)`,
 * innermost first, with the machinery left out (harness/lockdep, harness/cpu, harness/guest,
 * harness/kapi, node:internal, node_modules), so that a trace reads like the kernel call chain.
 *
 * Paths are relative to the repository root, `dist/` stripped; with source maps enabled
 * (process.setSourceMapsEnabled(true)) they are .ts positions. Capturing costs ~20 µs: the
 * validator calls this only for new dependencies, new usages, new chains and reports.
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const REPO_ROOT_ALT = REPO_ROOT.endsWith(`${path.sep}dist`) ? path.dirname(REPO_ROOT) : REPO_ROOT;

const HIDDEN: readonly RegExp[] = [
  /(^|\/)harness\/lockdep\/(?!examples\/|test_support\/)/,
  /(^|\/)harness\/cpu\/(?!test_support\/)/,
  /(^|\/)harness\/guest\//,
  /(^|\/)harness\/locks\/(?!examples\/|test_support\/)/,
  /(^|\/)harness\/kapi\./,
  /^node:/,
  /node_modules/,
  /^internal\//,
  /^<anonymous>$/,
  // A CPU worker's entry script (harness/cpu/cpu_entry_script.ts): machinery, as its old file in harness/cpu/ was.
  /^\[worker eval\]/,
];

/** Frames of the lock primitives themselves: the `at:` site is their caller (the kernel prints the caller's ip). */
const PRIMITIVE_FILE = /(^|\/)kernels\/locking\//;
const PRIMITIVE_FN = /(^|[_.])(lock|trylock|down|down_read|down_write|up|unlock)(_[a-z_]*)?$/;

function relative(file: string): string {
  let f = file;
  if (f.startsWith('file://')) {
    try {
      f = fileURLToPath(f);
    } catch {
      /* keep */
    }
  }
  for (const root of [REPO_ROOT, REPO_ROOT_ALT]) {
    if (f.startsWith(root + path.sep)) {
      f = f.slice(root.length + 1);
      break;
    }
  }
  if (f.startsWith('dist/')) f = f.slice(5);
  return f.split(path.sep).join('/');
}

/**
 * Whether framesFromStack() leaves out the frames of this file (a path or file URL, .js or .ts):
 * a stack formatter need not map their positions (harness/cpu/lazy_source_maps.ts).
 */
export function hiddenFrameFile(file: string): boolean {
  const f = relative(file);
  return HIDDEN.some((re) => re.test(f));
}

/** Parse V8 stack text into kept frames `fn (file:line)`, innermost first. */
export function framesFromStack(stack: string): string[] {
  const out: string[] = [];
  for (const raw of stack.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('at ')) continue;
    let body = line.slice(3);
    if (body.startsWith('async ')) body = body.slice(6);
    let fn = '<anonymous>';
    let loc = body;
    const paren = body.lastIndexOf(' (');
    if (paren >= 0 && body.endsWith(')')) {
      fn = body.slice(0, paren);
      loc = body.slice(paren + 2, -1);
    }
    const m = /^(.*):(\d+):(\d+)$/.exec(loc);
    const file = relative(m?.[1] ?? loc);
    if (HIDDEN.some((re) => re.test(file))) continue;
    fn = fn.replace(/^(Object|Module|Promise|CpuRuntime)\./, '').replace(/^new /, '');
    // A task's body is invoked by the CPU runtime as Task.fn: in kernel terms, kthread().
    if (fn === 'Task.fn') fn = 'kthread';
    out.push(`${fn} (${file}:${m?.[2] ?? '0'})`);
  }
  return out;
}

/** The current kernel call chain (default LockdepEnv.captureStack). */
export function captureStack(): string[] {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = 48;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = saved;
  return framesFromStack(stack);
}

/** The `at:` site of an acquisition: the innermost frame that is not a lock primitive. */
export function siteOf(frames: readonly string[]): string {
  for (const f of frames) {
    const cut = f.indexOf(' (');
    const fn = cut >= 0 ? f.slice(0, cut) : f;
    const file = cut >= 0 ? f.slice(cut + 2) : '';
    if (PRIMITIVE_FILE.test(file)) continue;
    if (PRIMITIVE_FN.test(fn)) continue;
    return f;
  }
  return frames[0] ?? '0x0';
}
