/*
 * The lockdep dependency graph as Graphviz DOT, for the report's picture (laid out in the page
 * by Graphviz itself, compiled to WebAssembly). Every class is a node; every dependency an edge
 * `held -> acquired` with its first stack as tooltip (hover) and an id the page maps to the full
 * stack (click). Classes and edges of a reported cycle are red; the cycle's closing dependency,
 * which lockdep reports instead of recording, is drawn dashed.
 */

import type { LockdepGraphJson } from '../lockdep/graph_dump.js';

export interface LockGraphPicture {
  readonly dot: string;
  /** Edge id (`e3`, or `new0` for an unrecorded cycle edge) -> title and stack. */
  readonly edges: Readonly<Record<string, { readonly title: string; readonly stack: readonly string[] }>>;
  readonly cycle: readonly string[];
}

function q(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function lockGraphDot(g: LockdepGraphJson): LockGraphPicture {
  const cycle = g.cycles[0];
  const onCycle = new Set(cycle?.classes ?? []);
  const cycleEdges = new Set((cycle?.edges ?? []).map(([a, b]) => `${a}\u0000${b}`));
  const name = new Map(g.classes.map((c) => [c.id, c.name]));
  const lines = [
    'digraph lockdep {',
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, bgcolor="transparent", nodesep=0.3, ranksep=0.5];',
    '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", color="#5b7bb2", fontname="Helvetica", fontsize=12];',
    '  edge [color="#7a8899", fontname="Helvetica", fontsize=10, arrowsize=0.7];',
  ];
  const used = new Set<number>();
  for (const e of g.edges) {
    used.add(e.from);
    used.add(e.to);
  }
  for (const c of g.classes) {
    if (!used.has(c.id) && !onCycle.has(c.name)) continue;
    const hot = onCycle.has(c.name);
    lines.push(`  n${c.id} [id=${q(`n${c.id}`)}, label=${q(`${c.name}\n${c.type}`)}, tooltip=${q(`${c.name} (${c.type})`)}${hot ? ', fillcolor="#fde2e2", color="#c62828", penwidth=2.5, fontcolor="#8e0000"' : ''}];`);
  }
  const edges: Record<string, { title: string; stack: readonly string[] }> = {};
  const recorded = new Set<string>();
  g.edges.forEach((e, i) => {
    const from = name.get(e.from) ?? `#${e.from}`;
    const to = name.get(e.to) ?? `#${e.to}`;
    recorded.add(`${from}\u0000${to}`);
    const hot = cycleEdges.has(`${from}\u0000${to}`);
    const id = `e${i}`;
    const title = `${from} -> ${to} (${e.kinds.join(',') || '-'})`;
    edges[id] = { title, stack: e.stack };
    const tip = [title, 'first recorded at:', ...e.stack.slice(0, 12)].join('\n');
    lines.push(`  n${e.from} -> n${e.to} [id=${q(id)}, class="dep", tooltip=${q(tip)}, label=${q(e.kinds.join(','))}${hot ? ', color="#c62828", penwidth=3, fontcolor="#c62828"' : ''}];`);
  });
  const idOf = new Map(g.classes.map((c) => [c.name, c.id]));
  (cycle?.edges ?? []).forEach(([a, b], i) => {
    if (recorded.has(`${a}\u0000${b}`)) return;
    const fa = idOf.get(a);
    const fb = idOf.get(b);
    if (fa === undefined || fb === undefined) return;
    const id = `new${i}`;
    const title = `${a} -> ${b}: the new dependency lockdep reported (${cycle?.task ?? ''})`;
    // Files written before the stacks were recorded have none.
    edges[id] = { title, stack: cycle?.stacks?.[0] ?? [] };
    lines.push(`  n${fa} -> n${fb} [id=${q(id)}, class="dep", tooltip=${q(title)}, label="reported", style=dashed, color="#c62828", penwidth=3, fontcolor="#c62828"];`);
  });
  lines.push('}');
  return { dot: lines.join('\n') + '\n', edges, cycle: cycle?.classes ?? [] };
}
