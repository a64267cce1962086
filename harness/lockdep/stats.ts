/*
 * /proc/lockdep_stats text from the shared counters and class table (kernel/locking/lockdep_proc.c
 * shape: label padded to 32 columns, value right-aligned in 11, `[max: N]` where the kernel has one).
 * Reads without the graph lock: figures may be a moment stale, never torn.
 */

import type { Graph } from './graph.js';
import {
  C_CHAIN_HLOCKS,
  C_CHAINS,
  C_CHAINS_HARDIRQ,
  C_CHAINS_PROCESS,
  C_CHAINS_SOFTIRQ,
  C_CLASSES,
  C_ENTRIES,
  C_MAX_BFS,
  C_MAX_DEPTH,
  C_STACK_ENTRIES,
  C_STACK_HASH_CHAINS,
  C_STACK_TRACES,
  CL_FWD,
  CL_NFWD,
  E_NEXT_FWD,
  E_TO,
} from './layout.js';

function line(label: string, value: number, max?: number): string {
  return ` ${label}:`.padEnd(32) + String(value).padStart(11) + (max !== undefined ? ` [max: ${max}]` : '');
}

/** Number of classes reachable forwards from c (lockdep_count_forward_deps), bounded work. */
function forwardDeps(g: Graph, c: number, seen: Int32Array, stamp: number): number {
  const stack = [c];
  seen[c] = stamp;
  let n = 0;
  while (stack.length > 0) {
    const x = stack.pop() ?? 0;
    let e = g.classWord(x, CL_FWD) - 1;
    while (e >= 0) {
      const t = g.edgeWord(e, E_TO);
      if (seen[t] !== stamp) {
        seen[t] = stamp;
        n++;
        stack.push(t);
      }
      e = g.edgeWord(e, E_NEXT_FWD) - 1;
    }
  }
  return n;
}

export function procStatsText(g: Graph): string {
  const nclasses = g.count(C_CLASSES);
  const direct = g.count(C_ENTRIES);
  let hardSafe = 0;
  let hardUnsafe = 0;
  let softSafe = 0;
  let softUnsafe = 0;
  let irqSafe = 0;
  let irqUnsafe = 0;
  let hardRSafe = 0;
  let hardRUnsafe = 0;
  let softRSafe = 0;
  let softRUnsafe = 0;
  let irqRSafe = 0;
  let irqRUnsafe = 0;
  let uncategorized = 0;
  let unused = 0;
  let allDirect = 0;
  let indirect = 0;
  let combined = 1;
  const seen = new Int32Array(Math.max(1, nclasses));
  for (let c = 0; c < nclasses; c++) {
    const u = g.usage(c);
    if (u === 0) unused++;
    if (u & 1) hardSafe++;
    if (u & 4) hardUnsafe++;
    if (u & 16) softSafe++;
    if (u & 64) softUnsafe++;
    if (u & (1 | 16)) irqSafe++;
    if (u & (4 | 64)) irqUnsafe++;
    if (u & 2) hardRSafe++;
    if (u & 8) hardRUnsafe++;
    if (u & 32) softRSafe++;
    if (u & 128) softRUnsafe++;
    if (u & (2 | 32)) irqRSafe++;
    if (u & (8 | 128)) irqRUnsafe++;
    if (u !== 0 && (u & 0xff) === 0) uncategorized++;
    allDirect += g.classWord(c, CL_NFWD);
    if (nclasses <= 4096) {
      const f = forwardDeps(g, c, seen, c + 1);
      indirect += f;
      if (f > 0) combined = Math.min(0x7fffffff, combined * (f + 1));
    }
  }
  indirect = Math.max(0, indirect - direct);
  const lay = g.lay;
  const lines = [
    line('lock-classes', nclasses, lay.maxKeys),
    line('dynamic-keys', 0),
    line('direct dependencies', direct, lay.maxEntries),
    line('indirect dependencies', indirect),
    line('all direct dependencies', allDirect),
    line('dependency chains', g.count(C_CHAINS), lay.maxChains),
    line('dependency chain hlocks used', g.count(C_CHAIN_HLOCKS), lay.maxChains * 5),
    line('dependency chain hlocks lost', 0),
    line('in-hardirq chains', g.count(C_CHAINS_HARDIRQ)),
    line('in-softirq chains', g.count(C_CHAINS_SOFTIRQ)),
    line('in-process chains', g.count(C_CHAINS_PROCESS)),
    line('stack-trace entries', g.count(C_STACK_ENTRIES), lay.maxStackEntries),
    line('number of stack traces', g.count(C_STACK_TRACES)),
    line('number of stack hash chains', g.count(C_STACK_HASH_CHAINS)),
    line('combined max dependencies', combined),
    line('hardirq-safe locks', hardSafe),
    line('hardirq-unsafe locks', hardUnsafe),
    line('softirq-safe locks', softSafe),
    line('softirq-unsafe locks', softUnsafe),
    line('irq-safe locks', irqSafe),
    line('irq-unsafe locks', irqUnsafe),
    line('hardirq-read-safe locks', hardRSafe),
    line('hardirq-read-unsafe locks', hardRUnsafe),
    line('softirq-read-safe locks', softRSafe),
    line('softirq-read-unsafe locks', softRUnsafe),
    line('irq-read-safe locks', irqRSafe),
    line('irq-read-unsafe locks', irqRUnsafe),
    line('uncategorized locks', uncategorized),
    line('unused locks', unused),
    line('max locking depth', g.count(C_MAX_DEPTH)),
    line('max bfs queue depth', g.count(C_MAX_BFS)),
    line('debug_locks', g.debugLocks() ? 1 : 0),
    '',
    line('zapped classes', 0),
    line('zapped lock chains', 0),
    line('large chain blocks', 0),
  ];
  return lines.join('\n') + '\n';
}
