/*
 * The host description recorded with every bench run (figures mean nothing without it), and the
 * timer resolution actually observed, so that a row near the resolution can be judged.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { HostInfo } from './bench_types.js';

/** Smallest non-zero step between consecutive process.hrtime.bigint() reads, in ns. */
export function timerResolutionNs(): number {
  let best = Infinity;
  for (let i = 0; i < 2000; i++) {
    const a = process.hrtime.bigint();
    let b = process.hrtime.bigint();
    while (b === a) b = process.hrtime.bigint();
    const d = Number(b - a);
    if (d < best) best = d;
  }
  return best;
}

function tinybenchVersion(): string {
  try {
    const req = createRequire(import.meta.url);
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(req.resolve('tinybench')), '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function hostInfo(): HostInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    nodeVersion: process.version,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    v8: process.versions.v8,
    timerResolutionNs: timerResolutionNs(),
    tinybench: tinybenchVersion(),
    loadAvg1: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}
