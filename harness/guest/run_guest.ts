/*
 * Run one guest as a child process and collect what it left on disk. A public API (exported from
 * the package entry, harness/index.ts; README "One guest from your program"), used by product code
 * (the rcu_scale benchmark) and by tests alike; it is not a test helper. It is the same path the
 * driver takes: a guest-spec.json in a results directory and
 * `node dist/harness/guest/guest_main.js <spec>`, killed if it outlives its budget. Its guest ends
 * by itself after durationSec as the driver's do (shutdown_secs, unless `bootParams` sets it).
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distFile, distPath } from '../lib/dist_entry.js';
import { SUITES } from '../suites/index.js';
import type { GuestProgress, GuestResult, GuestSpec, TortureSuite } from './guest_spec.js';

export interface RunGuestOptions {
  readonly suite?: TortureSuite;
  readonly scenario?: string;
  readonly nrCpus?: number;
  readonly kconfig?: Record<string, string>;
  readonly bootParams?: Record<string, string>;
  readonly durationSec?: number;
  readonly shutdownGraceSec?: number;
  readonly modules?: readonly string[];
  readonly opsModule?: string;
  /** Kill the guest after this many ms (default: duration + grace + 10 s after its boot ended). */
  readonly killAfterMs?: number;
  readonly resdir?: string;
}

export interface GuestRun {
  readonly code: number | null;
  readonly signal: string | null;
  readonly killed: boolean;
  readonly console: string;
  readonly result: GuestResult | null;
  readonly resdir: string;
}

/** dist/harness/guest/guest_main.js, whether called from src (vitest) or from dist. */
export function guestMainPath(): string {
  return distPath('guestMain');
}

/** URL of a compiled module under dist/, given its repo-relative source path without extension. */
export function distModuleUrl(rel: string): string {
  return new URL(`file://${distFile(`${rel}.js`)}`).href;
}

/**
 * The boot parameters: the caller's, with the suite's torture module's shutdown_secs set to
 * durationSec when the caller left it unset, as the driver's guests get it (its other defaults,
 * stat_interval and the like, are the caller's to choose). Without shutdown_secs the torture
 * module never powers off: the guest lives until killed, with no result. Not with `modules`:
 * they replace the suite's, and with them the parameter's reader.
 */
function withShutdown(o: RunGuestOptions, durationSec: number): Readonly<Record<string, string>> {
  const given = o.bootParams ?? {};
  const key = `${SUITES[o.suite ?? 'lock'].tortureModule}.shutdown_secs`;
  if (o.modules !== undefined || key in given) return given;
  return { ...given, [key]: String(durationSec) };
}

export async function runGuest(o: RunGuestOptions): Promise<GuestRun> {
  const resdir = o.resdir ?? mkdtempSync(path.join(os.tmpdir(), 'torture-guest-'));
  const duration = o.durationSec ?? 5;
  const grace = o.shutdownGraceSec ?? 10;
  const kconfig = { CONFIG_SMP: 'y', CONFIG_NR_CPUS: String(o.nrCpus ?? 2), ...(o.kconfig ?? {}) };
  const bootParams = withShutdown(o, duration);
  const spec: GuestSpec = {
    scenario: o.scenario ?? 'TEST',
    suite: o.suite ?? 'lock',
    resdir,
    kconfig,
    bootParams,
    bootLine: Object.entries(bootParams)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    nrCpus: o.nrCpus ?? 2,
    durationSec: duration,
    shutdownGraceSec: grace,
    ...(o.opsModule !== undefined ? { opsModule: o.opsModule } : {}),
    ...(o.modules !== undefined ? { modules: o.modules } : {}),
  };
  const specPath = path.join(resdir, 'guest-spec.json');
  writeFileSync(specPath, JSON.stringify(spec, null, 2));
  // With an IPC channel, as the driver starts it: the guest reports the end of its boot over it.
  const child = spawn(process.execPath, [guestMainPath(), specPath], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  child.stdout?.resume();
  let killed = false;
  const budgetMs = o.killAfterMs ?? (duration + grace + 10) * 1000;
  const killNow = (): void => {
    killed = true;
    child.kill('SIGKILL');
  };
  let timer = setTimeout(killNow, budgetMs);
  let booted = false;
  let exited = false;
  child.on('message', (m: unknown) => {
    // The default budget counts from the end of boot, as the test time does; a given one is absolute.
    // A message that arrives after the exit rearms nothing (nobody would clear that timer).
    if (exited || o.killAfterMs !== undefined || booted || typeof (m as Partial<GuestProgress> | null)?.bootSec !== 'number') return;
    booted = true;
    clearTimeout(timer);
    timer = setTimeout(killNow, budgetMs);
  });
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => {
    child.on('exit', (c, s) => {
      exited = true;
      resolve([c, s]);
    });
  });
  clearTimeout(timer);
  const consolePath = path.join(resdir, 'console.log');
  const resultPath = path.join(resdir, 'guest-result.json');
  const consoleText = existsSync(consolePath) ? readFileSync(consolePath, 'utf8') : '';
  const result = existsSync(resultPath) ? (JSON.parse(readFileSync(resultPath, 'utf8')) as GuestResult) : null;
  return { code, signal, killed, console: consoleText + (stderr ? `\n[stderr]\n${stderr}` : ''), result, resdir };
}
