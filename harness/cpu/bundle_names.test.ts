/*
 * bundle_names.ts: keepNames' __name() calls that set the name a function has anyway are blanked
 * out, positions kept; a call that sets another name (a renamed function) stays; and in the real
 * bundle a closure made in a function body (RunTokens.selectCpu's `ok`) is made without a call.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../guest/run_guest.js';
import { dropRedundantNames } from './bundle_names.js';

/** A parse check as the build's (esbuild there, V8 here): one expression, in a method. */
const parses = (t: string): boolean => {
  try {
    new vm.Script(`({ m() { return (${t.replaceAll('#', '_')}\n); } });`);
    return true;
  } catch {
    return false;
  }
};

const HELPERS = 'var __name = (target, value) => Object.defineProperty(target, "name", { value, configurable: true });\n';

describe('dropRedundantNames', () => {
  it('blanks the calls that set the name the language gives, keeps the others, and moves no position', () => {
    const src = [
      'function boot2() { return 1; }',
      '__name(boot2, "boot");',
      'function ok() { return 2; }',
      '__name(ok, "ok");',
      'function outer(x) {',
      '  const pick = /* @__PURE__ */ __name((c) => c > x ? f(c, "pick") : g("a, \\"pick\\")"), "pick");',
      '  const named = /* @__PURE__ */ __name(function inner() { return 3; }, "named");',
      '  const obj = { run: /* @__PURE__ */ __name(async () => pick(1), "run"), cls: /* @__PURE__ */ __name(class { x = 1; }, "cls") };',
      '  return [pick, named, obj.run, obj.cls];',
      '}',
      'function f(c) { return c; }',
      'function g(s) { return s; }',
      '[boot2, ok, ...outer(0)].map((fn) => fn.name);',
    ].join('\n');
    const r = dropRedundantNames(src, parses);
    expect(r.dropped).toBe(4); // ok, pick, run, cls
    expect(r.code.length).toBe(src.length);
    expect(r.code.split('\n').map((l) => l.length)).toEqual(src.split('\n').map((l) => l.length));
    expect(r.code).toContain('__name(boot2, "boot")');
    expect(r.code).toContain('__name(function inner()');
    expect(r.code).not.toContain('__name(ok, "ok")');
    expect(r.code).not.toContain('"pick");');
    const names = (code: string): unknown => vm.runInNewContext(HELPERS + code);
    expect(names(r.code)).toEqual(['boot', 'ok', 'pick', 'named', 'run', 'cls']);
    expect(names(r.code)).toEqual(names(src));
  });

  it('leaves no call at the creation of RunTokens.selectCpu()\'s closure in the built bundle', () => {
    const bundle = readFileSync(fileURLToPath(new URL('vmlinux.js', distModuleUrl('harness/cpu/cpu_bundle'))), 'utf8');
    const body = bundle.slice(bundle.indexOf('selectCpu(t) {'), bundle.indexOf('selectCpu(t) {') + 400);
    expect(body).toMatch(/const ok = +\(c\) =>/);
    expect(body).not.toContain('__name(');
  });
});
