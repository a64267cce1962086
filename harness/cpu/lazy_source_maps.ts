/*
 * Source-mapped stack traces for a CPU worker, with each source map read when a stack first shows
 * a frame of its file rather than when the module loads.
 *
 * Why: with Node's own source maps (`--enable-source-maps`, process.setSourceMapsEnabled()), Node
 * 20 reads and parses the map of every module as it loads it (a file read, a JSON parse and a
 * line-length table per module): about a quarter of the CPU time a worker spends loading the
 * kernel's ~85 modules, paid by every CPU of every guest (harness/cpu/README.md, "Where the time
 * goes"), though most of those maps are never used. The guest starts its CPU workers without
 * Node's source maps and each worker installs installLazySourceMaps(), an Error.prepareStackTrace
 * that writes what Node's source-mapped stack trace writes (the same `Type.fn (path.ts:line:col)`
 * frames, unmapped frames as V8 prints them), so every stack the kernel prints (Oops, WARN,
 * lockdep, hung tasks: harness/lockdep/stack.ts) reads as before.
 */

import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Per file name as a stack shows it: its map, or null when it has none (cached either way). */
const maps = new Map<string, SourceMap | null>();

/** The map of a generated `.js` file (tsc's `file.js.map` beside it), read at its first use. */
function sourceMapOf(fileName: string): SourceMap | null {
  const known = maps.get(fileName);
  if (known !== undefined) return known;
  let map: SourceMap | null = null;
  try {
    const file = fileName.startsWith('file://') ? fileURLToPath(fileName) : fileName;
    if (file.endsWith('.js') && !file.startsWith('node:')) {
      const mapFile = `${file}.map`;
      const payload = JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload;
      // As Node does (source_map_cache's sourcesToAbsolute()): sources as absolute URLs.
      const base = pathToFileURL(mapFile);
      const sources = payload.sources.map((s) => new URL(`${payload.sourceRoot}${s}`, base).href);
      map = new SourceMap({ ...payload, sources });
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
  const e = map.findEntry(line - 1, column - 1) as Partial<{ originalSource: string; originalLine: number; originalColumn: number }>;
  if (e.originalSource === undefined || e.originalSource === '' || e.originalLine === undefined || e.originalColumn === undefined) return null;
  const fnName = t.getFunctionName() ?? t.getMethodName();
  const typeName = t.getTypeName();
  const prefix = typeName !== null && typeName !== 'global' ? `${typeName}.` : '';
  const source = e.originalSource.startsWith('file://') ? fileURLToPath(e.originalSource) : e.originalSource;
  return `${prefix}${fnName !== null && fnName !== '' ? fnName : '<anonymous>'} (${source}:${e.originalLine + 1}:${e.originalColumn + 1})`;
}

/** The header line Node writes: its own errors carry their code (`TypeError [ERR_X]: ...`). */
function errorString(error: Error): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_')) return `${error.name} [${code}]: ${error.message}`;
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
