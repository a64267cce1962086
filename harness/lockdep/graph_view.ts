/*
 * The read API of the dependency graph, for tools that draw or export it (nightly graphs, --json):
 * classes with their usage, dependencies with their kinds and the stack of their first recording,
 * and the counters. Plain data, copied out of the shared region; no lock is taken, so a graph
 * that other threads are still growing reads as a consistent prefix (records are published
 * before the counters that cover them).
 */

import type { Graph } from './graph.js';
import { C_CHAINS, C_CLASSES, C_ENTRIES, DEP_EN, DEP_ER, DEP_SN, DEP_SR, E_DEP, E_FROM, E_TO, E_TRACE } from './layout.js';
import { usageChars } from './usage.js';

export interface LockdepClassView {
  readonly id: number;
  /** Printed name (`name`, `name#N`, `name/N`). */
  readonly name: string;
  readonly type: string;
  /** The `{....}` usage characters of reports. */
  readonly usage: string;
}

/** -(SR)->, -(ER)->, -(SN)->, -(EN)->: Shared/Exclusive prev, Recursive/Non-recursive next. */
export type LockdepDepKind = 'SR' | 'ER' | 'SN' | 'EN';

export interface LockdepEdgeView {
  readonly from: number;
  readonly to: number;
  readonly kinds: readonly LockdepDepKind[];
  /** The call chain that first recorded the dependency, innermost first. */
  readonly stack: readonly string[];
}

export interface LockdepGraphView {
  readonly classes: readonly LockdepClassView[];
  readonly edges: readonly LockdepEdgeView[];
  readonly chains: number;
}

const KINDS: readonly [number, LockdepDepKind][] = [
  [DEP_SR, 'SR'],
  [DEP_ER, 'ER'],
  [DEP_SN, 'SN'],
  [DEP_EN, 'EN'],
];

/** Number of dependencies (direct entries) recorded so far. */
export function dependencyCount(g: Graph): number {
  return g.count(C_ENTRIES);
}

/** The whole graph as plain data (`stacks: false` leaves the edge stacks empty: cheaper). */
export function readGraph(g: Graph, stacks = true): LockdepGraphView {
  const nc = g.count(C_CLASSES);
  const ne = g.count(C_ENTRIES);
  const classes: LockdepClassView[] = [];
  for (let c = 0; c < nc; c++) classes.push({ id: c, name: g.className(c), type: g.classType(c), usage: usageChars(g.usage(c)) });
  const edges: LockdepEdgeView[] = [];
  for (let e = 0; e < ne; e++) {
    const dep = g.edgeWord(e, E_DEP);
    edges.push({
      from: g.edgeWord(e, E_FROM),
      to: g.edgeWord(e, E_TO),
      kinds: KINDS.filter(([bit]) => (dep & bit) !== 0).map(([, k]) => k),
      stack: stacks ? g.stacks.getStack(g.edgeWord(e, E_TRACE)) : [],
    });
  }
  return { classes, edges, chains: g.count(C_CHAINS) };
}
