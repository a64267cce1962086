/*
 * The repository's import boundaries, checked over the real import graph (harness/boundary.test.ts
 * runs it on every .ts file of the repository):
 *   1. kernels/ (product code) imports only harness/kapi.ts and other kernels/ files: the kernel
 *      reaches the machine through one narrow interface (kernels/README.md);
 *   2. harness/cpu/ never imports harness/guest/: a CPU knows its machine, not the guest process
 *      above it;
 *   3. product code never imports a test helper (a `*.test.ts` file or anything in a `test_support/`
 *      folder);
 *   4. product code has no import cycles (type-only imports count: a cycle of types is still two
 *      files that cannot be read apart).
 *
 * Imports are found by a small lexer, not a regular expression over raw text: comments, strings,
 * template literals and regular-expression literals are skipped, so an import written in a comment or a string is not one, and
 * `import`/`export ... from`, side-effect imports and `import('...')` with a literal are all seen.
 * Specifiers are resolved relative to the importing file (`.js` -> `.ts`); bare and `node:`
 * specifiers are external.
 */

import path from 'node:path';

/** One import of a file: the specifier as written, and the repo-relative .ts it names (null: external). */
export interface ImportEdge {
  readonly from: string;
  readonly specifier: string;
  readonly to: string | null;
}

/** Skip a quoted string starting at `i` (the quote); returns the index after it and its text. */
function readString(src: string, i: number): { end: number; text: string } {
  const q = src[i];
  let j = i + 1;
  let text = '';
  while (j < src.length && src[j] !== q) {
    if (src[j] === '\\') {
      text += src[j + 1] ?? '';
      j += 2;
      continue;
    }
    if (src[j] === '\n' && q !== '`') break;
    text += src[j];
    j++;
  }
  return { end: j + 1, text };
}

/** Whether a `/` after `code` starts a regular expression (not a division): what precedes it is an operator, or nothing. */
function regexMayStart(code: string): boolean {
  const t = code.trimEnd();
  if (t === '') return true;
  if (/[(,=:[!&|?{};+\-*%<>~^]$/.test(t)) return true;
  return /(?<![\w$])(return|typeof|case|do|else|in|of|void|yield|await)$/.test(t);
}

/** The index after the regular-expression literal (and its flags) that starts at `i`. */
function regexEnd(src: string, i: number): number {
  let j = i + 1;
  let inClass = false;
  while (j < src.length && src[j] !== '\n') {
    const c = src[j];
    if (c === '\\') j++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) break;
    j++;
  }
  j++;
  while (/[a-z]/.test(src[j] ?? '')) j++;
  return j;
}

/**
 * The source with every comment, string and template literal body replaced by spaces, and the
 * strings kept aside by position (so that `from '...'` can be read back).
 */
function lex(src: string): { code: string; strings: Map<number, string> } {
  let code = '';
  const strings = new Map<number, string>();
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      while (i < src.length && src[i] !== '\n') {
        code += ' ';
        i++;
      }
    } else if (c === '/' && n === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      code += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '/' && regexMayStart(code)) {
      const end = regexEnd(src, i);
      code += ' '.repeat(end - i);
      i = end;
    } else if (c === "'" || c === '"' || c === '`') {
      const { end, text } = readString(src, i);
      strings.set(code.length, text);
      code += '"' + ' '.repeat(Math.max(0, end - i - 2)) + '"';
      i = end;
    } else {
      code += c;
      i++;
    }
  }
  return { code, strings };
}

/** The module specifiers a TypeScript source imports or re-exports, in order. */
export function importSpecifiers(src: string): string[] {
  const { code, strings } = lex(src);
  const out: string[] = [];
  // `import ... from "x"`, `export ... from "x"`, `import "x"`, `import("x")`: the keyword must start
  // a statement or an expression (not `.import`, not part of an identifier).
  const re = /(?<![\w$.])(import|export)\b/g;
  for (let m = re.exec(code); m !== null; m = re.exec(code)) {
    let j = m.index + m[0].length;
    while (/\s/.test(code[j] ?? '')) j++;
    if (m[1] === 'import' && code[j] === '(') {
      j++;
      while (/\s/.test(code[j] ?? '')) j++;
      const s = strings.get(j);
      if (code[j] === '"' && s !== undefined) out.push(s);
      continue;
    }
    if (m[1] === 'import' && code[j] === '"') {
      const s = strings.get(j);
      if (s !== undefined) out.push(s);
      continue;
    }
    // Up to the end of the statement: `from "x"` before the next `;` or a line that starts a new statement.
    const stmtEnd = code.indexOf(';', j);
    const body = code.slice(j, stmtEnd < 0 ? code.length : stmtEnd);
    const from = /\bfrom\s*"/.exec(body);
    if (from === null) continue;
    const at = j + from.index + from[0].length - 1;
    const s = strings.get(at);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** Resolve `specifier` imported by repo-relative `from`; null for packages and node: builtins. */
export function resolveImport(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  return joined.replace(/\.js$/, '.ts');
}

export function isTestFile(file: string): boolean {
  return file.endsWith('.test.ts') || file.split('/').includes('test_support');
}

/** Every import edge of the given files (repo-relative path -> source). */
export function importGraph(files: ReadonlyMap<string, string>): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const [from, src] of files) {
    for (const specifier of importSpecifiers(src)) edges.push({ from, specifier, to: resolveImport(from, specifier) });
  }
  return edges;
}

/** One line per broken boundary, naming the file, the import and the rule. */
export function boundaryViolations(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  const edges = importGraph(files);
  for (const e of edges) {
    const where = `${e.from} imports '${e.specifier}'`;
    if (e.to !== null && !files.has(e.to)) out.push(`${where}: no such file ${e.to}`);
    if (isTestFile(e.from)) continue;
    if (e.from.startsWith('kernels/') && e.to !== 'harness/kapi.ts' && !(e.to ?? '').startsWith('kernels/')) {
      out.push(`${where}: kernels/ may import only harness/kapi.ts and kernels/`);
    }
    if (e.from.startsWith('harness/cpu/') && (e.to ?? '').startsWith('harness/guest/')) out.push(`${where}: harness/cpu/ must not import harness/guest/`);
    if (e.to !== null && isTestFile(e.to)) out.push(`${where}: product code must not import a test helper`);
  }
  out.push(...importCycles(edges.filter((e) => e.to !== null && !isTestFile(e.from) && !isTestFile(e.to))).map((c) => `import cycle: ${c.join(' -> ')}`));
  return out;
}

/** Each import cycle once, as the files around it (first file repeated at the end). */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (e.to === null) continue;
    const l = next.get(e.from) ?? [];
    if (!l.includes(e.to)) l.push(e.to);
    next.set(e.from, l);
  }
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const t of next.get(f) ?? []) {
      if (state.get(t) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(t)), t];
        const key = [...cycle.slice(0, -1)].sort().join(' ');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (state.get(t) === undefined) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...next.keys()].sort()) if (state.get(f) === undefined) visit(f);
  return cycles;
}
