/*
 * The CPU bundle's function names without a call at each closure's creation. esbuild's
 * `keepNames` (bin/build_cpu_bundle.js) gives a function that esbuild renamed to avoid a clash
 * (`boot` -> `boot2`) its own name back, so stack frames read as with ES modules; it does so by
 * wrapping every named function in `__name(fn, "name")`, which sets `name` with
 * Object.defineProperty. Where the function is a closure made in a function body
 * (`const ok = __name((c) => ..., "ok")` in RunTokens.selectCpu), that is one call and one property
 * definition per creation, and the closure can no longer be optimised away: some 300 ns per
 * creation measured, against about 5 without (harness/cpu/README.md, "Boot").
 *
 * Most of those calls set the name the function has anyway: an anonymous function or class bound
 * to `const ok =` or to an object literal's key `ok:` is named `ok` by the language, and `function
 * ok() {}` is `ok`. This pass blanks such calls out (spaces of the same length, so no position in
 * the bundle or its source map moves) and keeps every call that sets another name (a renamed
 * function, a named function expression).
 */

/** Whether `text` is one JavaScript expression (the build asks esbuild's parser). */
export type ParsesAsExpression = (text: string) => boolean;

const PREFIX = '/* @__PURE__ */ __name(';
/** An anonymous function or class: the language names it after its binding or key. */
const ANONYMOUS = /^(?:async\s*)?(?:\(|[\w$]+\s*=>|function\s*\*?\s*\()|^class\s*(?:\{|extends\b)/;
/** `const ok = ` / `let ok = ` / `var ok = `, or `ok: ` after `{` or `,` (a key), right before the call. */
const BINDING = /(?:\b(?:const|let|var)\s+([\w$]+)\s*=|[{,]\s*([\w$]+)\s*:)\s*$/;
/** A statement `__name(ok, "ok");` on its own line (after a function or class declaration). */
const STATEMENT = /^([ \t]*)__name\(([\w$]+), "([\w$]+)"\);[ \t]*$/gm;

/** `code` with the redundant `__name()` calls blanked out, and how many. */
export function dropRedundantNames(code: string, parses: ParsesAsExpression): { code: string; dropped: number } {
  const out = code.split('');
  let dropped = 0;
  const blank = (from: number, to: number): void => {
    for (let i = from; i < to; i++) out[i] = ' ';
  };
  for (const m of code.matchAll(STATEMENT)) {
    if (m[2] !== m[3]) continue;
    const at = m.index + (m[1]?.length ?? 0);
    blank(at, at + `__name(${m[2]}, "${m[3]}");`.length);
    dropped++;
  }
  for (let p = code.indexOf(PREFIX); p >= 0; p = code.indexOf(PREFIX, p + PREFIX.length)) {
    const before = BINDING.exec(code.slice(Math.max(0, p - 120), p));
    const name = before?.[1] ?? before?.[2];
    if (name === undefined) continue;
    const start = p + PREFIX.length;
    if (!ANONYMOUS.test(code.slice(start, start + 40))) continue;
    // The call's end: the first `, "name")` after which the text between is one expression (an
    // earlier one lies inside the function, where the text before it does not parse).
    const tail = `, ${JSON.stringify(name)})`;
    for (let q = code.indexOf(tail, start), tries = 0; q >= 0 && tries < 64; q = code.indexOf(tail, q + 1), tries++) {
      if (!parses(code.slice(start, q))) continue;
      blank(p, start);
      blank(q, q + tail.length);
      dropped++;
      break;
    }
  }
  return { code: out.join(''), dropped };
}
