/*
 * Numbers as awk reads and prints them: the kernel's scripts (parse-console.sh, kvm-recheck-*.sh)
 * pick fields with awk, and the lines recheck prints must match theirs to the character, so a
 * field is read with awk's leading-prefix rule and a rate is printed with awk's `%.6g`.
 */

/** awk's numeric value of a field: its leading numeric prefix, else 0. */
export function awkNumber(field: string): number {
  const m = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(field.trim());
  return m === null ? 0 : Number(m[0]);
}

const AWK_NUMERIC = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** Whether awk would take the whole field as a number (`ver:`'s word in the sequence check). */
export function isAwkNumeric(field: string): boolean {
  return AWK_NUMERIC.test(field);
}

/** awk's `%.6g` (how `print a / b` shows a number). */
export function formatG(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x);
  const exp = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 6) {
    const [mant, e] = x.toExponential(5).split('e');
    const m = (mant ?? '').replace(/\.?0+$/, '');
    const en = Number(e);
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  // An exact tie at the 6th significant digit is possible only for 100000 <= |x| < 1e6 (x = k + 0.5:
  // below, a tie would need a non-dyadic value; above, it would be an integer). C's printf rounds
  // such a tie to even (100724.5 -> 100724); toPrecision() rounds it up.
  if (exp === 5 && Math.abs(x % 1) === 0.5) {
    const t = Math.trunc(x);
    return String(t % 2 === 0 ? t : t + Math.sign(x));
  }
  return x.toPrecision(6).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}
