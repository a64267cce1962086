/*
 * Kernel-style stack traces from JS stacks: one frame per line, `fn (path/file.ts:line)`, with
 * the frames of the harness machinery (CPU runtime, guest, lockdep) and of Node itself left out,
 * so that a trace reads like the kernel's call chain (cpu_down -> _cpu_down -> ...).
 *
 * Positions are TS positions when the worker runs with source maps enabled
 * (process.setSourceMapsEnabled(true) in cpu_main.ts).
 */

import { fileURLToPath } from 'node:url';
import path from 'node:path';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const HIDDEN = [/\/harness\/cpu\/(?!test_support\/)/, /\/harness\/guest\//, /\/harness\/lockdep\//, /\/harness\/kapi\./, /^node:/, /node_modules/, /^internal\//];

export interface Frame {
  readonly fn: string;
  readonly file: string;
  readonly line: number;
}

/** Parse V8 stack text into frames (innermost first). */
export function parseStack(stack: string): Frame[] {
  const frames: Frame[] = [];
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
    let file = m?.[1] ?? loc;
    const ln = Number(m?.[2] ?? 0);
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file);
      } catch {
        /* keep as is */
      }
    }
    fn = fn.replace(/^(Object|Module|CpuRuntime|Promise)\./, '');
    // The task's body is invoked by the runtime as Task.fn: in kernel terms, kthread().
    if (fn === 'Task.fn') fn = 'kthread';
    frames.push({ fn, file, line: ln });
  }
  return frames;
}

export function relativeFile(file: string): string {
  let rel = file.startsWith(REPO_ROOT + path.sep) ? file.slice(REPO_ROOT.length + 1) : file;
  if (rel.startsWith('dist/')) rel = rel.slice(5);
  return rel;
}

/** Frames that belong to the kernel's story: kernels/, harness/torture/, user modules. */
export function kernelFrames(stack: string): Frame[] {
  return parseStack(stack).filter((f) => !HIDDEN.some((re) => re.test(f.file)) && f.file !== '<anonymous>');
}

export function formatFrame(f: Frame): string {
  return `${f.fn} (${relativeFile(f.file)}:${f.line})`;
}

/** The current kernel call chain, innermost first, formatted. */
export function captureKernelStack(): string[] {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = saved;
  return kernelFrames(stack).map(formatFrame);
}
