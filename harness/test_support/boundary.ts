/*
 * The repository's import boundaries, checked over the real import graph (harness/boundary.test.ts
 * runs it on every .ts file of the repository):
 *   1. kernels/ (product code) imports only harness/kapi.ts and other kernels/ files: the kernel
 *      reaches the machine through one narrow interface (kernels/README.md);
 *   2. harness/cpu/ never imports harness/guest/: a CPU knows its machine, not the guest process
 *      above it;
 *   3. product code never imports a test helper (a `*.test.ts` file or anything in a `test_support/`
 *      folder);
 *   4. product code has no import cycle through a value import (one that exists at run time): a
 *      cycle made only of `import type` edges is erased by the compiler and allowed, but a cycle
 *      that runs through one value import is reported even if its other edges are types (e.g. a
 *      module importing another's code while that one imports the first's types);
 *   5. the harness folders are floors: no two of them import each other, by value or by type (a
 *      type is vocabulary, and vocabulary two folders share belongs on a floor below both, such
 *      as harness/formats/ or harness/lib/); a top-level file (harness/kapi.ts) counts as a folder;
 *   6. the machine does not reach up into the tools that drive it: nothing in harness/lockdep/ or
 *      harness/cpu/ imports harness/run/, report/, nightly/ or commands/ (kernels/ is held to rule
 *      1, which is stricter still);
 *   7. harness/lib/ and harness/formats/ are the ground floor: they import only the ground floor
 *      (lib/ only lib/) and harness/errors.ts, so that every folder may import them.
 *   8. harness/locks/ (the package export `torture/locks`, production code in users' programs) is
 *      self-contained: it imports only harness/locks/ files, node: builtins and the types of
 *      packages; its one way out is harness/lockdep/user_api.ts loaded at run time (import() or
 *      require()) by harness/locks/lockdep_hook.ts, only when lockdep is switched on.
 *
 * Imports are found by a small lexer, not a regular expression over raw text: comments, strings,
 * template literals and regular-expression literals are skipped, so an import written in a comment or a string is not one, and
 * `import`/`export ... from`, side-effect imports and `import('...')` with a literal are all seen.
 * Specifiers are resolved relative to the importing file (`.js` -> `.ts`); bare and `node:`
 * specifiers are external. The same lexer hands out the regular-expression literals it skipped
 * (`regexLiterals`), for the test that the console grammar lives in one file.
 */

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** One import of a file: the specifier as written, and the repo-relative .ts it names (null: external). */
export interface ImportEdge {
  readonly from: string;
  readonly specifier: string;
  readonly to: string | null;
  /** `import type`, `export type ... from`, or braces of `type` names only: erased at compile time. */
  readonly typeOnly: boolean;
  /** `import('...')` or `require('...')`: loaded when the code runs it, not when the module loads. */
  readonly dynamic: boolean;
}

/** One import statement as found: its specifier and whether it is erased at compile time. */
export interface FoundImport {
  readonly specifier: string;
  readonly typeOnly: boolean;
  readonly dynamic: boolean;
}

/** Whether an import/export clause (the text between the keyword and `from`) names types only. */
function clauseIsTypeOnly(clause: string): boolean {
  const c = clause.trim();
  if (/^type\b/.test(c)) return true;
  const braces = /^\{([^}]*)\}$/.exec(c);
  if (braces === null) return false;
  const names = (braces[1] ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
  return names.length > 0 && names.every((n) => /^type\s/.test(n));
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
function lex(src: string): { code: string; strings: Map<number, string>; regexes: string[] } {
  let code = '';
  const strings = new Map<number, string>();
  const regexes: string[] = [];
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
      regexes.push(src.slice(i, end));
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
  return { code, strings, regexes };
}

/** The regular-expression literals of a TypeScript source (`/ver: (\\d+)/i`), in order. */
export function regexLiterals(src: string): string[] {
  return lex(src).regexes;
}

/** Every .ts file below `root`'s source folders (harness/, kernels/, configs/), repo-relative -> source. */
export function repoSources(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.ts')) out.set(r, readFileSync(path.join(root, r), 'utf8'));
    }
  };
  for (const top of ['harness', 'kernels', 'configs']) walk(top);
  return out;
}

/** The module specifiers a TypeScript source imports or re-exports, in order. */
export function importSpecifiers(src: string): string[] {
  return findImports(src).map((i) => i.specifier);
}

/** Every import and re-export of a TypeScript source, in order. */
export function findImports(src: string): FoundImport[] {
  // (`require("x")` too: a CommonJS load from an ES module through createRequire(), as dynamic as import().)
  const { code, strings } = lex(src);
  const out: FoundImport[] = [];
  // `import ... from "x"`, `export ... from "x"`, `import "x"`, `import("x")`, `require("x")`: the
  // keyword must start a statement or an expression (not `.import`, not part of an identifier).
  const re = /(?<![\w$.])(import|export|require)\b/g;
  for (let m = re.exec(code); m !== null; m = re.exec(code)) {
    let j = m.index + m[0].length;
    while (/\s/.test(code[j] ?? '')) j++;
    if (m[1] === 'require' && code[j] !== '(') continue;
    if ((m[1] === 'import' || m[1] === 'require') && code[j] === '(') {
      j++;
      while (/\s/.test(code[j] ?? '')) j++;
      const s = strings.get(j);
      if (code[j] === '"' && s !== undefined) out.push({ specifier: s, typeOnly: false, dynamic: true });
      continue;
    }
    if (m[1] === 'import' && code[j] === '"') {
      const s = strings.get(j);
      if (s !== undefined) out.push({ specifier: s, typeOnly: false, dynamic: false });
      continue;
    }
    // Up to the end of the statement: `from "x"` before the next `;` or a line that starts a new statement.
    const stmtEnd = code.indexOf(';', j);
    const body = code.slice(j, stmtEnd < 0 ? code.length : stmtEnd);
    const from = /\bfrom\s*"/.exec(body);
    if (from === null) continue;
    const at = j + from.index + from[0].length - 1;
    const s = strings.get(at);
    if (s !== undefined) out.push({ specifier: s, typeOnly: clauseIsTypeOnly(body.slice(0, from.index)), dynamic: false });
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
    for (const { specifier, typeOnly, dynamic } of findImports(src)) edges.push({ from, specifier, to: resolveImport(from, specifier), typeOnly, dynamic });
  }
  return edges;
}

/** The floor a harness file stands on: its folder (`harness/run`), or itself for a top-level file; null outside harness/. */
export function harnessFolder(file: string): string | null {
  const p = file.split('/');
  if (p[0] !== 'harness' || p.length < 2) return null;
  return p.length === 2 ? `harness/${(p[1] ?? '').replace(/\.ts$/, '')}` : `harness/${p[1] ?? ''}`;
}

/** What each ground-floor folder may import (rule 7), besides itself. */
const GROUND_FLOOR: Readonly<Record<string, readonly string[]>> = {
  'harness/lib': ['harness/errors'],
  'harness/formats': ['harness/lib', 'harness/errors'],
  'harness/cli': ['harness/errors'],
};

/** Folders of the machine (rule 6) and the tools above it they must not import. */
const MACHINE_FOLDERS = ['harness/lockdep', 'harness/cpu'] as const;
const TOOL_FOLDERS = ['harness/run', 'harness/report', 'harness/nightly', 'harness/commands'] as const;

/** Rule 8: the self-contained folder, and its one door to lockdep. */
const LOCKS_FOLDER = 'harness/locks';
const LOCKS_DOOR = { from: 'harness/locks/lockdep_hook.ts', to: 'harness/lockdep/user_api.ts' } as const;

function locksMayImport(e: ImportEdge): boolean {
  if (e.to === null) return e.specifier.startsWith('node:') || e.typeOnly;
  if (harnessFolder(e.to) === LOCKS_FOLDER) return true;
  return e.dynamic && e.from === LOCKS_DOOR.from && e.to === LOCKS_DOOR.to;
}

export interface BoundaryOptions {
  /** Folder pairs allowed to import each other (rule 5) while a change that removes them is pending. */
  readonly allowMutual?: readonly (readonly [string, string])[];
}

/**
 * Rule 5: each pair of harness folders that import each other (product code, value or type
 * edges), once, with one import each way as the evidence.
 */
export function mutualFolders(edges: readonly ImportEdge[], allow: readonly (readonly [string, string])[] = []): string[] {
  const first = new Map<string, ImportEdge>();
  for (const e of edges) {
    if (e.to === null || isTestFile(e.from) || isTestFile(e.to)) continue;
    const a = harnessFolder(e.from);
    const b = harnessFolder(e.to);
    if (a === null || b === null || a === b) continue;
    if (!first.has(`${a} ${b}`)) first.set(`${a} ${b}`, e);
  }
  const allowed = new Set(allow.flatMap(([a, b]) => [`${a} ${b}`, `${b} ${a}`]));
  const out: string[] = [];
  for (const [key, e] of [...first].sort(([x], [y]) => x.localeCompare(y))) {
    const [a, b] = key.split(' ') as [string, string];
    const back = first.get(`${b} ${a}`);
    if (back === undefined || a > b || allowed.has(key)) continue;
    out.push(`${a} <-> ${b}: folders import each other (${e.from} imports '${e.specifier}'; ${back.from} imports '${back.specifier}')`);
  }
  return out;
}

/** One line per broken boundary, naming the file, the import and the rule. */
export function boundaryViolations(files: ReadonlyMap<string, string>, options: BoundaryOptions = {}): string[] {
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
    if (/^harness\/(run|cli)\//.test(e.from) && (e.to ?? '').startsWith('harness/commands/')) out.push(`${where}: harness/run/ and harness/cli/ must not import harness/commands/ (commands import them)`);
    const from = harnessFolder(e.from);
    const to = e.to === null ? null : harnessFolder(e.to);
    if (MACHINE_FOLDERS.some((m) => m === from) && TOOL_FOLDERS.some((t) => t === to)) {
      out.push(`${where}: ${from ?? ''}/ must not import ${to ?? ''}/ (the machine does not import the tools that drive it)`);
    }
    const ground = from === null ? undefined : GROUND_FLOOR[from];
    if (ground !== undefined && to !== null && to !== from && !ground.includes(to) && !isTestFile(e.to ?? '')) {
      out.push(`${where}: ${from ?? ''}/ is the ground floor and may import only ${[from, ...ground].join(', ')}`);
    }
    if (e.to !== null && isTestFile(e.to)) out.push(`${where}: product code must not import a test helper`);
    if (from === LOCKS_FOLDER && !locksMayImport(e)) {
      out.push(`${where}: harness/locks/ is self-contained (torture/locks runs in production): it may import only harness/locks/, node: builtins, types of packages, and lockdep loaded at run time (import() or require()) by ${LOCKS_DOOR.from}`);
    }
  }
  out.push(...importCycles(edges.filter((e) => e.to !== null && !isTestFile(e.from) && !isTestFile(e.to))).map((c) => `import cycle: ${c.join(' -> ')}`));
  out.push(...mutualFolders(edges, options.allowMutual));
  return out;
}

/**
 * Each import cycle that runs through a value edge, once (as the files around it, the first file
 * repeated at the end). A value edge u -> v is on a cycle exactly when v reaches u.
 */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (e.to === null) continue;
    const l = next.get(e.from) ?? [];
    if (!l.includes(e.to)) l.push(e.to);
    next.set(e.from, l);
  }
  /** The shortest path from `a` to `b` (both included), or null. */
  const pathBetween = (a: string, b: string): string[] | null => {
    const parent = new Map<string, string>([[a, a]]);
    const queue = [a];
    for (let qi = 0; qi < queue.length; qi++) {
      const f = queue[qi] as string;
      if (f === b) {
        const p = [b];
        while (p[0] !== a) p.unshift(parent.get(p[0] as string) as string);
        return p;
      }
      for (const t of next.get(f) ?? []) {
        if (!parent.has(t)) {
          parent.set(t, f);
          queue.push(t);
        }
      }
    }
    return null;
  };
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const valueEdges = edges.filter((e) => e.to !== null && !e.typeOnly).sort((x, y) => (x.from + x.to).localeCompare(y.from + y.to));
  for (const e of valueEdges) {
    const back = pathBetween(e.to as string, e.from);
    if (back === null) continue;
    const cycle = [e.from, ...back];
    const key = [...new Set(cycle)].sort().join(' ');
    if (seen.has(key)) continue;
    seen.add(key);
    cycles.push(cycle);
  }
  return cycles;
}
