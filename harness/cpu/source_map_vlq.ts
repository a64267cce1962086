/*
 * Source Map V3 `mappings`: the one Base64 VLQ decoder (and encoder) of the CPU's source maps,
 * shared by lazy_source_maps.ts (CompactSourceMap, a CPU's stacks) and bundle_map.ts (the build's
 * sectioned map of the CPU bundle).
 */

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Base64 digit of each char code (-1: not a digit). */
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) DIGIT[BASE64.charCodeAt(i)] = i;
const COMMA = 44;
const SEMICOLON = 59;

/**
 * Called once per segment in generated order, every value absolute (zero-based): `src` is -1 for
 * a one-field segment (mapped nowhere), and then `line` and `col` are 0.
 */
export type SegmentSink = (genLine: number, genCol: number, src: number, line: number, col: number) => void;

/** Decode `mappings` segment by segment; throws on a character that is not Base64 or a field over 32 bits. */
export function decodeMappings(m: string, sink: SegmentSink): void {
  let genLine = 0;
  let genCol = 0;
  let src = 0;
  let line = 0;
  let col = 0;
  let i = 0;
  const fields = new Int32Array(5);
  while (i < m.length) {
    const c = m.charCodeAt(i);
    if (c === SEMICOLON) {
      genLine++;
      genCol = 0;
      i++;
      continue;
    }
    if (c === COMMA) {
      i++;
      continue;
    }
    // One segment: up to five Base64 VLQ fields, up to the next separator.
    let nf = 0;
    while (i < m.length) {
      const d = m.charCodeAt(i);
      if (d === COMMA || d === SEMICOLON) break;
      let value = 0;
      let shift = 0;
      let digit = 0;
      do {
        const code = m.charCodeAt(i++);
        digit = code < 128 ? (DIGIT[code] ?? -1) : -1;
        if (digit < 0 || shift > 25) throw new Error('bad source map');
        value |= (digit & 31) << shift;
        shift += 5;
      } while ((digit & 32) !== 0);
      if (nf < 5) fields[nf] = (value & 1) !== 0 ? -(value >>> 1) : value >>> 1;
      nf++;
    }
    genCol += fields[0] ?? 0;
    if (nf === 1) {
      sink(genLine, genCol, -1, 0, 0);
      continue;
    }
    src += fields[1] ?? 0;
    line += fields[2] ?? 0;
    col += fields[3] ?? 0;
    sink(genLine, genCol, src, line, col);
  }
}

/** One Base64 VLQ field. */
export function vlq(v: number): string {
  let x = v < 0 ? (-v << 1) | 1 : v << 1;
  let out = '';
  do {
    let d = x & 31;
    x >>>= 5;
    if (x > 0) d |= 32;
    out += BASE64[d] ?? '';
  } while (x > 0);
  return out;
}
