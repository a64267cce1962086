import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { boundaryViolations, importSpecifiers, repoSources } from './test_support/boundary.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('import boundaries', () => {
  it('the repository keeps them: kernels/ -> kapi + kernels/ only, cpu/ never -> guest/, no test helper in product code, no cycles, folders as floors', () => {
    const files = repoSources(ROOT);
    expect(files.size).toBeGreaterThan(100);
    // The checker saw real imports: kapi is imported by most of kernels/.
    const kernelImports = [...files].filter(([f]) => f.startsWith('kernels/')).flatMap(([, s]) => importSpecifiers(s));
    expect(kernelImports.filter((s) => s.endsWith('harness/kapi.js')).length).toBeGreaterThan(10);
    expect(boundaryViolations(files)).toEqual([]);
  });

  it('keeps the harness folders as floors: no two import each other, the machine never imports the tools above it, the ground floor imports nothing above it', () => {
    const files = new Map<string, string>([
      ['harness/kapi.ts', 'export const kapi = {};\n'],
      ['harness/recheck/verdict.ts', "import type { Suite } from '../suites/suite.js';\nexport type V = Suite;\n"],
      ['harness/suites/suite.ts', "import type { Rule } from '../recheck/rule.js';\nexport type Suite = Rule;\n"],
      ['harness/recheck/rule.ts', 'export type Rule = number;\n'],
      ['harness/formats/lines.ts', "import { s } from '../suites/suite.js';\nimport type { E } from '../errors.js';\nexport const x = s as unknown as E;\n"],
      ['harness/errors.ts', 'export type E = number;\n'],
      ['harness/report/collect.ts', "import { x } from '../formats/lines.js';\nimport type { V } from '../recheck/verdict.js';\nexport const y: V | number = x;\n"],
      ['harness/lockdep/graph.ts', "import { y } from '../report/collect.js';\nimport { kapi } from '../kapi.js';\nexport { kapi, y };\n"],
      ['harness/cpu/runtime.ts', "import type { V } from '../recheck/verdict.js';\nexport type R = V;\n"],
      ['harness/run/cli.ts', "import { z } from '../commands/index.js';\nexport const main = z;\n"],
      ['harness/commands/index.ts', 'export const z = 1;\n'],
      ['harness/commands/run.ts', "import { main } from '../run/cli.js';\nexport const r = main;\n"],
      ['harness/report/x.test.ts', "import { main } from '../run/cli.js';\nexport const t = main;\n"],
    ]);
    expect(boundaryViolations(files)).toEqual([
      "harness/formats/lines.ts imports '../suites/suite.js': harness/formats/ is the ground floor and may import only harness/formats, harness/lib, harness/errors",
      "harness/lockdep/graph.ts imports '../report/collect.js': harness/lockdep/ must not import harness/report/ (the machine does not import the tools that drive it)",
      "harness/run/cli.ts imports '../commands/index.js': harness/run/ and harness/cli/ must not import harness/commands/ (commands import them)",
      "harness/commands <-> harness/run: folders import each other (harness/commands/run.ts imports '../run/cli.js'; harness/run/cli.ts imports '../commands/index.js')",
      "harness/recheck <-> harness/suites: folders import each other (harness/recheck/verdict.ts imports '../suites/suite.js'; harness/suites/suite.ts imports '../recheck/rule.js')",
    ]);
    expect(boundaryViolations(files, { allowMutual: [['harness/run', 'harness/commands']] })).toHaveLength(4);
  });

  it('keeps harness/locks self-contained: its own files, node: builtins, package types, and lockdep only through the dynamic import of its door', () => {
    const files = new Map<string, string>([
      ['harness/errors.ts', 'export type E = number;\n'],
      ['harness/lockdep/user_api.ts', 'export const attach = 1;\n'],
      ['harness/locks/mutex.ts', "import { hook } from './lockdep_hook.js';\nimport { threadId } from 'node:worker_threads';\nimport type { MutexInterface } from 'async-mutex';\nexport const m: MutexInterface | number = hook + threadId;\n"],
      ['harness/locks/lockdep_hook.ts', "export const hook = 1;\nexport async function on() { return import('../lockdep/user_api.js'); }\nexport const now = () => require('../lockdep/user_api.js');\n"],
      ['harness/locks/static.ts', "import { attach } from '../lockdep/user_api.js';\nimport type { E } from '../errors.js';\nimport { Mutex } from 'async-mutex';\nexport const s: E = attach + (Mutex ? 1 : 0);\n"],
      ['harness/locks/other_door.ts', "export async function on() { return import('../lockdep/user_api.js'); }\nexport const r = (x: { require(s: string): unknown }) => x.require('../x.js');\n"],
      ['harness/locks/cjs_door.ts', "export const now = () => require('../lockdep/user_api.js');\n"],
      ['harness/locks/locks.test.ts', "import { attach } from '../lockdep/user_api.js';\nexport const t = attach;\n"],
    ]);
    const why = "harness/locks/ is self-contained (torture/locks runs in production): it may import only harness/locks/, node: builtins, types of packages, and lockdep loaded at run time (import() or require()) by harness/locks/lockdep_hook.ts";
    expect(boundaryViolations(files)).toEqual([
      `harness/locks/static.ts imports '../lockdep/user_api.js': ${why}`,
      `harness/locks/static.ts imports '../errors.js': ${why}`,
      `harness/locks/static.ts imports 'async-mutex': ${why}`,
      `harness/locks/other_door.ts imports '../lockdep/user_api.js': ${why}`,
      `harness/locks/cjs_door.ts imports '../lockdep/user_api.js': ${why}`,
    ]);
  });

  it('fails on each kind of violation in a synthetic tree (not fooled by comments, strings or regexes; a types-only cycle is allowed)', () => {
    const files = new Map<string, string>([
      ['harness/kapi.ts', 'export const kapi = {};\n'],
      ['harness/run/cli.ts', "export const main = 1;\n"],
      ['harness/guest/guest_main.ts', 'export {};\n'],
      ['harness/cpu/test_support/abba.ts', "import { kapi } from '../../kapi.js';\nexport const abba = kapi;\n"],
      ['kernels/ok.ts', "import { kapi } from '../harness/kapi.js';\nimport type { X } from './types.js';\nexport const ok = kapi;\n"],
      ['kernels/types.ts', 'export type X = number;\n'],
      ['kernels/bad.ts', "import {\n  main,\n} from '../harness/run/cli.js';\nimport { readFileSync } from 'node:fs';\nexport { main, readFileSync };\n"],
      ['kernels/quiet.ts', "// import { main } from '../harness/run/cli.js';\nconst s = \"import x from '../harness/run/cli.js'\";\nconst r = /from '..\\/harness\\/run\\/cli.js'/;\nexport { s, r };\n"],
      ['harness/cpu/up.ts', "export async function f() { return import('../guest/guest_main.js'); }\n"],
      ['harness/run/uses_helper.ts', "export { abba } from '../cpu/test_support/abba.js';\n"],
      ['harness/run/a.ts', "import { b } from './b.js';\nexport const a = b;\n"],
      ['harness/run/b.ts', "import type { a } from './a.js';\nexport const b = 1 as unknown as typeof a;\n"],
      ['harness/run/c.ts', "import type { D } from './d.js';\nexport type C = D[];\n"],
      ['harness/run/d.ts', "import { type C } from './c.js';\nexport type D = { c?: C };\n"],
      ['harness/run/x.test.ts', "import { abba } from '../cpu/test_support/abba.js';\nimport { main } from './cli.js';\nexport { abba, main };\n"],
    ]);
    expect(boundaryViolations(files)).toEqual([
      "kernels/bad.ts imports '../harness/run/cli.js': kernels/ may import only harness/kapi.ts and kernels/",
      "kernels/bad.ts imports 'node:fs': kernels/ may import only harness/kapi.ts and kernels/",
      "harness/cpu/up.ts imports '../guest/guest_main.js': harness/cpu/ must not import harness/guest/",
      "harness/run/uses_helper.ts imports '../cpu/test_support/abba.js': product code must not import a test helper",
      'import cycle: harness/run/a.ts -> harness/run/b.ts -> harness/run/a.ts',
    ]);
  });
});
