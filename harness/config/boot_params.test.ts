import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../test_support/error_of.js';
import { DECLARED_PARAMS } from './boot_params.js';
import { parseBootWords } from './fragment_parse.js';
import { KNOWN_OPTIONS, knownOption } from './known_options.js';
import { loadScenario } from './scenario.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Product sources (no tests, no test helpers): repo-relative path -> text. */
function productSources(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'test_support') walk(r);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.set(r, readFileSync(path.join(ROOT, r), 'utf8'));
    }
  };
  walk('harness');
  walk('kernels');
  return out;
}

/** `const x = group.param('type', 'name'`: the binding of each declaration, by file. */
const DECL = /const\s+(\w+)\s*=\s*\w+\.param\(\s*'\w+',\s*'(\w+)'/g;

interface Site {
  readonly file: string;
  readonly ident: string;
  readonly short: string;
}

function declarationSites(files: Map<string, string>): Site[] {
  const out: Site[] = [];
  for (const [file, src] of files) for (const m of src.matchAll(DECL)) out.push({ file, ident: m[1] ?? '', short: m[2] ?? '' });
  return out;
}

/** Whether the binding is read (`.get(` / `.from(`) in its file or in a file importing it from there. */
function isRead(site: Site, files: Map<string, string>): boolean {
  const read = new RegExp(`\\b${site.ident}\\.(get|from)\\(`);
  const base = path.basename(site.file, '.ts');
  const imports = new RegExp(`import\\s*\\{[^}]*\\b${site.ident}\\b[^}]*\\}\\s*from\\s*'[^']*/${base}\\.js'`);
  for (const [file, src] of files) {
    if (!read.test(src)) continue;
    if (file === site.file || imports.test(src)) return true;
  }
  return false;
}

describe('boot parameters: declared where read, registry derived', () => {
  it('every registered boot parameter comes from one declaration, and the registry holds exactly the declarations', () => {
    const boot = KNOWN_OPTIONS.filter((o) => o.kind === 'boot').map((o) => o.key);
    expect(boot).toEqual(DECLARED_PARAMS.map((d) => d.name));
    expect(new Set(boot).size).toBe(boot.length);
  });

  it('every registered parameter that is not refused is read somewhere (a declaration read nowhere fails here)', () => {
    const files = productSources();
    const sites = declarationSites(files);
    const unread = sites.filter((s) => !isRead(s, files)).map((s) => `${s.file}: ${s.ident} (${s.short})`);
    expect(unread).toEqual([]);
    const shorts = new Set(sites.map((s) => s.short));
    const undeclared = DECLARED_PARAMS.filter((d) => d.refused === undefined && !shorts.has(d.name.slice(d.name.indexOf('.') + 1)));
    expect(undeclared.map((d) => d.name)).toEqual([]);
    // Product code declares; the undeclared reader is for test and bench guests only.
    const undeclaredReads = [...files].filter(([f, src]) => !f.startsWith('harness/bench/') && /\bmodule_param\(\s*['`]/.test(src) && f !== 'kernels/moduleparam.ts');
    expect(undeclaredReads.map(([f]) => f)).toEqual([]);
  });

  it('driver and guest parse a value the same way (kstrtoint rules: 0x64 is 100 for both)', () => {
    const stat = DECLARED_PARAMS.find((d) => d.name === 'rcutorture.stat_interval');
    expect(stat?.accepts('0x64')).toBe(true);
    expect(parseBootWords('rcutorture.stat_interval=0x64', 'B', 'rcu').map((w) => w.value)).toEqual(['0x64']);
    expect(errorOf(() => parseBootWords('rcutorture.stat_interval=-1', 'B', 'rcu')).message).toBe(
      "Cannot load B:1 as 'rcutorture.stat_interval' must be an integer >= 0: current value is -1",
    );
    expect(knownOption('locktorture.nested_locks')?.accepts('010')).toBe(true); // octal 8
    expect(knownOption('locktorture.nested_locks')?.accepts('011')).toBe(false); // octal 9
    for (const d of DECLARED_PARAMS) {
      for (const v of ['0x64', '100', '-1', '012', 'y', '', 'abc', '0']) {
        if (d.refused !== undefined || d.type === 'charp' || !('from' in d) || typeof d.from !== 'function') continue;
        const parsed: unknown = (d.from as (p: Readonly<Record<string, string>>, dflt: unknown) => unknown)({ [d.name]: v }, Symbol.for('default'));
        expect(parsed !== Symbol.for('default'), `${d.name}=${v}`).toBe(d.accepts(v));
      }
    }
  });

  it('a refused parameter is bad input naming it and saying the model lacks it', () => {
    const e = errorOf(() => parseBootWords('rcutorture.test_boost=2', '--bootargs', 'rcu', false));
    expect(e.code).toBe('CONFIG_BAD_VALUE');
    expect(e.message).toBe(
      "Cannot load --bootargs as 'rcutorture.test_boost' must be left unset: not modelled by this kernel (needs real-time priority boosting, which the model lacks; refused, see configs/rcu/README.md): current value is 2",
    );
    expect(errorOf(() => parseBootWords('rcu_nocbs=0-1', 'TREE01.boot', 'rcu')).message).toMatch(/'rcu_nocbs' must be left unset: not modelled/);
  });

  it('the shipped scenarios still load, their refused settings commented out', () => {
    for (const [suite, dir] of [
      ['rcu', 'configs/rcu'],
      ['lock', 'configs/lock'],
    ] as const) {
      const cflist = readFileSync(path.join(ROOT, dir, 'CFLIST'), 'utf8').split(/\s+/).filter((w) => w !== '' && !w.startsWith('#'));
      const names = [...cflist, ...readdirSync(path.join(ROOT, dir)).filter((f) => /^[A-Z0-9]+$/.test(f) && f !== 'CFLIST' && f !== 'CFcommon')];
      for (const name of new Set(names)) {
        expect(() => loadScenario({ configsDir: path.join(ROOT, dir), shownDir: dir, suite, name, durationSec: 10, bootargs: [], kconfigArgs: [] }), name).not.toThrow();
      }
    }
  });

  it('configs/<suite>/README.md lists every refused parameter of its suite', () => {
    for (const suite of ['rcu', 'lock'] as const) {
      const readme = readFileSync(path.join(ROOT, 'configs', suite, 'README.md'), 'utf8');
      const refused = DECLARED_PARAMS.filter((d) => d.refused !== undefined && (d.suites ?? [suite]).includes(suite));
      expect(refused.filter((d) => !readme.includes(`\`${d.name}\``)).map((d) => d.name)).toEqual([]);
    }
  });
});
