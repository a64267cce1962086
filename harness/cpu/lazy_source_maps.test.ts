import { readFileSync, writeFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CompactSourceMap } from './lazy_source_maps.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

/** A built module of the repository and its map (dist/, as `npx tsc` leaves it). */
function built(rel: string): { js: string; map: SourceMapPayload } {
  const js = path.join(REPO, 'dist', rel);
  return { js: readFileSync(js, 'utf8'), map: JSON.parse(readFileSync(`${js}.map`, 'utf8')) as SourceMapPayload };
}

describe('lazy source maps (a CPU worker maps its stacks itself)', () => {
  it("CompactSourceMap.findEntry() answers as Node's SourceMap.findEntry() at every position of real maps", () => {
    for (const rel of ['kernels/rcu/tree.js', 'harness/cpu/cpu_runtime.js', 'kernels/locking/mutex.js']) {
      const { js, map } = built(rel);
      const node = new SourceMap(map);
      const mine = new CompactSourceMap(map.mappings, map.sources);
      const lines = js.split('\n');
      let checked = 0;
      let mapped = 0;
      for (let l = 0; l < lines.length + 1; l++) {
        for (let c = 0; c <= (lines[l]?.length ?? 0) + 1; c++) {
          const a = node.findEntry(l, c) as Partial<{ originalSource: string; originalLine: number; originalColumn: number }>;
          const b = mine.findEntry(l, c);
          if (a.originalSource !== b.originalSource || a.originalLine !== b.originalLine || a.originalColumn !== b.originalColumn) {
            expect({ rel, l, c, mine: b }).toEqual({ rel, l, c, mine: { originalSource: a.originalSource, originalLine: a.originalLine, originalColumn: a.originalColumn } });
          }
          checked++;
          if (b.originalSource !== undefined) mapped++;
        }
      }
      expect(checked).toBeGreaterThan(2_000);
      expect(mapped).toBeGreaterThan(checked / 2);
    }
  });

  it("a worker with installLazySourceMaps() prints the stacks a worker with Node's --enable-source-maps prints", async () => {
    const dir = makeTestTempDir('lazy-maps');
    const src = [
      'class Runner {',
      '  run(f: () => string): string {',
      '    return f();',
      '  }',
      '}',
      "function inner(): string { return new Error('boom').stack ?? ''; }",
      'const ops = { readlock: inner };',
      'export function viaMethod(): string { return new Runner().run(() => ops.readlock()); }',
      'export function viaMap(): string { return [1].map(() => ops.readlock())[0] ?? ""; }',
      "export function bindingError(): string { try { new URL('no url'); } catch (e) { return (e as Error).stack ?? ''; } return ''; }",
      "export function nodeError(): string { try { new TextDecoder('no such encoding'); } catch (e) { return (e as Error).stack ?? ''; } return ''; }",
      "export function codeError(): string { return Object.assign(new Error('coded'), { code: 'ERR_MINE' }).stack ?? ''; }",
    ].join('\n');
    writeFileSync(path.join(dir, 'mod.ts'), src);
    writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
    const tsconfig = { compilerOptions: { sourceMap: true, module: 'nodenext', target: 'es2022', strict: true, types: [], lib: ['es2022', 'dom'] }, files: ['mod.ts'] };
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    execFileSync(path.join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', dir], { stdio: 'pipe' });
    const lazy = pathToFileURL(path.join(REPO, 'dist', 'harness', 'cpu', 'lazy_source_maps.js')).href;
    const modUrl = pathToFileURL(path.join(dir, 'mod.js')).href;
    const body = (install: boolean): string =>
      [
        install ? `const { installLazySourceMaps } = await import(${JSON.stringify(lazy)}); installLazySourceMaps();` : '',
        `const m = await import(${JSON.stringify(modUrl)});`,
        "const { parentPort } = await import('node:worker_threads');",
        "parentPort.postMessage([m.viaMethod(), m.viaMap(), m.bindingError(), m.nodeError(), m.codeError()].join('\\n----\\n'));",
      ].join('\n');
    const run = (install: boolean, execArgv: string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        const w = new Worker(body(install), { eval: true, execArgv });
        w.once('message', (s: string) => {
          resolve(s);
          void w.terminate();
        });
        w.once('error', reject);
      });
    const nodeMapped = await run(false, ['--enable-source-maps']);
    // As a CPU worker does: started with the guest's --enable-source-maps, then turned to lazy maps.
    const lazyMapped = await run(true, ['--enable-source-maps']);
    expect(nodeMapped).toContain(`inner (${path.join(dir, 'mod.ts')}:6:`);
    expect(nodeMapped).toContain('TypeError: Invalid URL');
    expect(nodeMapped).toContain('RangeError [ERR_ENCODING_NOT_SUPPORTED]: The "no such encoding" encoding is not supported');
    expect(lazyMapped).toBe(nodeMapped);
  });
});
