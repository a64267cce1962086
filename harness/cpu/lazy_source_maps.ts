/*
 * Source-mapped stack traces for a CPU worker, with each source map read when a stack first shows
 * a frame of its file rather than when the module loads.
 *
 * Why: with Node's own source maps (`--enable-source-maps`, process.setSourceMapsEnabled()), Node
 * 20 reads and parses the map of every module as it loads it (a file read, a JSON parse and a
 * line-length table per module): about a quarter of the CPU time a worker spends loading the
 * kernel's ~85 modules, paid by every CPU of every guest (harness/cpu/README.md, "Where the time
 * goes"), though most of those maps are never used. A CPU worker turns Node's source maps off
 * before its modules load (cpu_entry.ts) and installs installLazySourceMaps(), an Error.prepareStackTrace
 * that writes what Node's source-mapped stack trace writes (the same `Type.fn (path.ts:line:col)`
 * frames, unmapped frames as V8 prints them), so every stack the kernel prints (Oops, WARN,
 * lockdep, hung tasks: harness/lockdep/stack.ts) reads as before. One departure: frames of the
 * machinery that those stacks leave out (sourceMapOf()) keep their dist/*.js positions in a raw
 * `error.stack`.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SourceMapPayload } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hiddenFrameFile } from '../lockdep/stack.js';
import { CPU_BUNDLE_FILE } from './cpu_bundle_file.js';
import { decodeMappings } from './source_map_vlq.js';


/**
 * A source map's mappings decoded into flat arrays, one entry per segment in generated order,
 * with findEntry() answering as Node's SourceMap.findEntry() does (the last segment at or before
 * the position; a one-field segment maps nowhere). Node's SourceMap builds an array per segment
 * and sorts them: a large map took milliseconds per worker (the test compares both on every
 * position of real maps).
 */
export class CompactSourceMap {
  readonly #sources: readonly string[];
  #n = 0;
  #genLine: Int32Array;
  #genCol: Int32Array;
  /** Index into sources, -1 for a one-field segment. */
  #src: Int32Array;
  #origLine: Int32Array;
  #origCol: Int32Array;

  constructor(mappings: string, sources: readonly string[]) {
    this.#sources = sources;
    const cap = Math.max(16, mappings.length >> 2);
    this.#genLine = new Int32Array(cap);
    this.#genCol = new Int32Array(cap);
    this.#src = new Int32Array(cap);
    this.#origLine = new Int32Array(cap);
    this.#origCol = new Int32Array(cap);
    this.#decode(mappings);
  }

  #push(line: number, col: number, src: number, oLine: number, oCol: number): void {
    if (this.#n === this.#genLine.length) {
      const grow = (a: Int32Array): Int32Array => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.#genLine = grow(this.#genLine);
      this.#genCol = grow(this.#genCol);
      this.#src = grow(this.#src);
      this.#origLine = grow(this.#origLine);
      this.#origCol = grow(this.#origCol);
    }
    const k = this.#n++;
    this.#genLine[k] = line;
    this.#genCol[k] = col;
    this.#src[k] = src;
    this.#origLine[k] = oLine;
    this.#origCol[k] = oCol;
  }

  #decode(m: string): void {
    decodeMappings(m, (line, col, src, oLine, oCol) => this.#push(line, col, src, oLine, oCol));
    for (let k = 1; k < this.#n; k++) {
      const l0 = this.#genLine[k - 1] ?? 0;
      const l1 = this.#genLine[k] ?? 0;
      if (l1 < l0 || (l1 === l0 && (this.#genCol[k] ?? 0) < (this.#genCol[k - 1] ?? 0))) throw new Error('unsorted source map');
    }
  }

  /** Node's SourceMap.findEntry(): zero-based generated line and column. */
  findEntry(line: number, col: number): { originalSource?: string; originalLine?: number; originalColumn?: number } {
    // The last segment at or before (line, col): binary search on (genLine, genCol).
    let lo = 0;
    let hi = this.#n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const l = this.#genLine[mid] ?? 0;
      if (l < line || (l === line && (this.#genCol[mid] ?? 0) <= col)) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return {};
    const s = this.#src[found] ?? -1;
    if (s < 0) return {};
    return { originalSource: this.#sources[s], originalLine: this.#origLine[found], originalColumn: this.#origCol[found] };
  }
}

/** What a frame needs of a map: Node's SourceMap.findEntry(). */
interface FrameMap {
  findEntry(line: number, col: number): { originalSource?: string; originalLine?: number; originalColumn?: number };
}

/** One section of an index map (Source Map V3 `sections`). */
interface MapSection {
  readonly offset: { readonly line: number; readonly column: number };
  readonly map: MapSources;
}

/** What a lookup reads of a (section's) map. */
type MapSources = Pick<SourceMapPayload, 'sources' | 'mappings'> & { readonly sourceRoot?: string };

/**
 * An index map (the CPU bundle's, in sections of a few hundred lines: bin/build_cpu_bundle.js),
 * answering findEntry() as Node's SourceMap does for one, with each section decoded at its first
 * lookup: a CPU decodes the parts of the bundle its stacks show, not the whole bundle's map.
 */
export class SectionedSourceMap {
  readonly #sections: readonly MapSection[];
  readonly #decoded: (CompactSourceMap | undefined)[];
  readonly #base: URL;

  /** `base`: the map file's URL, against which each section's sources resolve. */
  constructor(sections: readonly MapSection[], base: URL) {
    this.#sections = sections;
    this.#decoded = sections.map(() => undefined);
    this.#base = base;
  }

  findEntry(line: number, col: number): { originalSource?: string; originalLine?: number; originalColumn?: number } {
    // The last section starting at or before (line, col).
    let lo = 0;
    let hi = this.#sections.length - 1;
    let k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const o = this.#sections[mid]?.offset ?? { line: 0, column: 0 };
      if (o.line < line || (o.line === line && o.column <= col)) {
        k = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const section = this.#sections[k];
    if (section === undefined) return {};
    let map = this.#decoded[k];
    if (map === undefined) {
      const m = section.map;
      map = new CompactSourceMap(m.mappings, absoluteSources(m, this.#base));
      this.#decoded[k] = map;
    }
    return map.findEntry(line - section.offset.line, line === section.offset.line ? col - section.offset.column : col);
  }
}

/** As Node does (source_map_cache's sourcesToAbsolute()): a map's sources as absolute URLs. */
function absoluteSources(payload: MapSources, base: URL): string[] {
  return payload.sources.map((s) => new URL(`${payload.sourceRoot ?? ''}${s}`, base).href);
}

/** Per file name as a stack shows it: its map, or null when it has none (cached either way). */
const maps = new Map<string, FrameMap | null>();

/**
 * The map of a generated `.js` file (tsc's `file.js.map` beside it), read at its first use. The
 * machinery's own files (the CPU runtime, lockdep: hiddenFrameFile()) are left unmapped: every
 * kernel stack leaves their frames out, and a map costs its parse (Node's SourceMap decodes all of
 * it, a few ms for a large file, per worker; lockdep captures stacks through them from the boot on).
 */
function sourceMapOf(fileName: string): FrameMap | null {
  const known = maps.get(fileName);
  if (known !== undefined) return known;
  let map: FrameMap | null = null;
  try {
    const file = fileName.startsWith('file://') ? fileURLToPath(fileName) : fileName;
    // The CPU bundle holds the machinery and the kernel alike: mapped, its frames are kept or
    // left out by their .ts paths (cpu_bundle.ts).
    const bundle = file.endsWith(`${path.sep}harness${path.sep}cpu${path.sep}${CPU_BUNDLE_FILE}`);
    if (file.endsWith('.js') && !file.startsWith('node:') && (bundle || !hiddenFrameFile(file))) {
      const mapFile = `${file}.map`;
      const payload = JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload | { readonly sections: readonly MapSection[] };
      const base = pathToFileURL(mapFile);
      map = 'sections' in payload ? new SectionedSourceMap(payload.sections, base) : new CompactSourceMap(payload.mappings, absoluteSources(payload, base));
    }
  } catch {
    map = null; // no map (node_modules, a user's module) or an unreadable one: the frame stays as V8 prints it
  }
  maps.set(fileName, map);
  return map;
}

/** One frame as Node's source-mapped prepareStackTrace writes it, or null when it has no mapping. */
function mappedFrame(t: NodeJS.CallSite): string | null {
  const fileName = t.getFileName() ?? t.getEvalOrigin();
  if (fileName === undefined) return null;
  const map = sourceMapOf(fileName);
  const line = t.getLineNumber();
  const column = t.getColumnNumber();
  if (map === null || line === null || column === null) return null;
  // Source Map V3 positions count from 0, stack traces from 1.
  const e = map.findEntry(line - 1, column - 1);
  if (e.originalSource === undefined || e.originalSource === '' || e.originalLine === undefined || e.originalColumn === undefined) return null;
  const fnName = t.getFunctionName() ?? t.getMethodName();
  const typeName = t.getTypeName();
  const prefix = typeName !== null && typeName !== 'global' ? `${typeName}.` : '';
  const source = e.originalSource.startsWith('file://') ? fileURLToPath(e.originalSource) : e.originalSource;
  return `${prefix}${fnName !== null && fnName !== '' ? fnName : '<anonymous>'} (${source}:${e.originalLine + 1}:${e.originalColumn + 1})`;
}

/** Node's own errors: their prototype chain has its kIsNodeError symbol (errors of its C++ bindings do not). */
function isNodeError(error: Error): boolean {
  for (let p: object | null = error; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    for (const sym of Object.getOwnPropertySymbols(p)) if (sym.description === 'kIsNodeError') return true;
  }
  return false;
}

/** The header line Node writes: its own errors carry their code (`RangeError [ERR_X]: ...`). */
function errorString(error: Error): string {
  if (isNodeError(error)) return `${error.name} [${String((error as { code?: unknown }).code)}]: ${error.message}`;
  return Error.prototype.toString.call(error);
}

/** Error.prepareStackTrace with lazily read source maps (see the header). */
export function prepareStackTraceLazyMaps(error: Error, trace: NodeJS.CallSite[]): string {
  let out = errorString(error);
  for (const t of trace) {
    let frame: string | null = null;
    try {
      frame = mappedFrame(t);
    } catch {
      frame = null;
    }
    out += `\n    at ${frame ?? String(t)}`;
  }
  return out;
}

/**
 * Map this thread's stack traces lazily: Node's eager source maps off (a worker started with
 * `--enable-source-maps` has them on), this prepareStackTrace on.
 */
export function installLazySourceMaps(): void {
  process.setSourceMapsEnabled(false);
  Error.prepareStackTrace = prepareStackTraceLazyMaps;
}
