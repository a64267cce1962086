/*
 * The CPU bundle's source map as the build writes it (bin/build_cpu_bundle.js): an index map of
 * sections of a few hundred generated lines, each with its own sources and VLQ state, so that a
 * CPU decodes only the sections its stacks show (lazy_source_maps.ts, SectionedSourceMap); and
 * the machinery's code (hidden files: every kernel stack leaves their frames out) mapped nowhere.
 * A lookup in the sections answers what the flat map answers, hidden sources aside
 * (cpu_bundle.test.ts checks every position of the real bundle).
 */

import { decodeMappings, vlq } from './source_map_vlq.js';

/** One segment, absolute: [genCol] (mapped nowhere) or [genCol, source, line, column]. */
type Segment = readonly [number] | readonly [number, number, number, number];

export interface FlatMap {
  readonly sources: readonly string[];
  readonly mappings: string;
}

export interface MapSectionOut {
  readonly offset: { readonly line: number; readonly column: number };
  readonly map: { readonly version: 3; readonly sources: string[]; readonly names: string[]; readonly mappings: string };
}

/** `map` in sections of `sectionLines` lines, the segments of sources with hidden[i] set mapped nowhere. */
export function sectionedMap(map: FlatMap, hidden: readonly boolean[], sectionLines: number): MapSectionOut[] {
  const lines = segmentsByLine(map.mappings, hidden);
  const sections: MapSectionOut[] = [];
  let carried: Segment | undefined;
  for (let first = 0; first < lines.length; first += sectionLines) {
    const own = lines.slice(first, first + sectionLines);
    // What the flat map gives a position before a section's first segment: the last segment before it.
    const head = own[0] ?? [];
    if (carried !== undefined && (head.length === 0 || (head[0]?.[0] ?? 0) > 0)) own[0] = [carried.length === 1 ? [0] : [0, carried[1], carried[2], carried[3]], ...head];
    sections.push({ offset: { line: first, column: 0 }, map: sectionMap(own, map.sources) });
    for (const l of own) if (l.length > 0) carried = l[l.length - 1];
  }
  return sections;
}

/** The flat map's segments by generated line, absolute; a hidden source's segments mapped nowhere. */
function segmentsByLine(mappings: string, hidden: readonly boolean[]): Segment[][] {
  const lines: Segment[][] = [[]];
  decodeMappings(mappings, (genLine, genCol, src, line, col) => {
    while (lines.length <= genLine) lines.push([]);
    lines[genLine]?.push(src < 0 || hidden[src] === true ? [genCol] : [genCol, src, line, col]);
  });
  // As many lines as the mappings have (a trailing ';' is an empty last line).
  for (let n = mappings.split(';').length; lines.length < n; ) lines.push([]);
  return lines;
}

/** One section: its own sources, VLQ state from zero, a run of mapped-nowhere segments as one. */
function sectionMap(lines: readonly (readonly Segment[])[], allSources: readonly string[]): MapSectionOut['map'] {
  const sources: string[] = [];
  const index = new Map<number, number>();
  let src = 0;
  let line = 0;
  let col = 0;
  const mappings = lines.map((segs) => {
    let genCol = 0;
    let nowhere = false;
    const out: string[] = [];
    for (const g of segs) {
      if (g.length === 1) {
        if (!nowhere) out.push(vlq(g[0] - genCol));
        if (!nowhere) genCol = g[0];
        nowhere = true;
        continue;
      }
      nowhere = false;
      let s = index.get(g[1]);
      if (s === undefined) {
        s = sources.push(allSources[g[1]] ?? '') - 1;
        index.set(g[1], s);
      }
      out.push(vlq(g[0] - genCol) + vlq(s - src) + vlq(g[2] - line) + vlq(g[3] - col));
      genCol = g[0];
      src = s;
      line = g[2];
      col = g[3];
    }
    return out.join(',');
  });
  return { version: 3, sources, names: [], mappings: mappings.join(';') };
}
