/*
 * The CPU bundle's source map as the build writes it (bin/build_cpu_bundle.js): an index map of
 * sections of a few hundred generated lines, each with its own sources and VLQ state, so that a
 * CPU decodes only the sections its stacks show (lazy_source_maps.ts, SectionedSourceMap); and
 * the machinery's code (hidden files: every kernel stack leaves their frames out) mapped nowhere.
 * A lookup in the sections answers what the flat map answers, hidden sources aside
 * (cpu_bundle.test.ts checks every position of the real bundle).
 */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

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
  const lines = decodeMappings(map.mappings, hidden);
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

function decodeMappings(mappings: string, hidden: readonly boolean[]): Segment[][] {
  let src = 0;
  let line = 0;
  let col = 0;
  return mappings.split(';').map((text) => {
    let genCol = 0;
    const out: Segment[] = [];
    for (const seg of text === '' ? [] : text.split(',')) {
      const f: number[] = [];
      for (let i = 0, v = 0, sh = 0; i < seg.length; i++) {
        const d = B64.indexOf(seg[i] ?? '');
        if (d < 0) throw new Error('bad source map');
        v += (d & 31) << sh;
        if ((d & 32) !== 0) sh += 5;
        else {
          f.push((v & 1) !== 0 ? -(v >>> 1) : v >>> 1);
          v = 0;
          sh = 0;
        }
      }
      genCol += f[0] ?? 0;
      if (f.length === 1) {
        out.push([genCol]);
        continue;
      }
      src += f[1] ?? 0;
      line += f[2] ?? 0;
      col += f[3] ?? 0;
      out.push(hidden[src] === true ? [genCol] : [genCol, src, line, col]);
    }
    return out;
  });
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

function vlq(v: number): string {
  let x = v < 0 ? (-v << 1) | 1 : v << 1;
  let out = '';
  do {
    let d = x & 31;
    x >>>= 5;
    if (x > 0) d |= 32;
    out += B64[d] ?? '';
  } while (x > 0);
  return out;
}
