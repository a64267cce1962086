/*
 * lib/kstrtox.c: the string-to-number rules every boot parameter goes through. Pure functions (no
 * kapi), so that the driver's option registry (harness/config/known_options.ts) accepts exactly
 * what the guest's parameter declarations (kernels/moduleparam.ts) will parse.
 *
 * Returns undefined where the kernel returns -EINVAL or -ERANGE.
 */

/**
 * kstrtobool(): the first character decides: y Y t T 1 are true, n N f F 0 false, and `on`/`off`
 * (any case) by the second character. Anything else is invalid.
 */
export function kstrtobool(s: string): boolean | undefined {
  switch (s[0]) {
    case 'y':
    case 'Y':
    case 't':
    case 'T':
    case '1':
      return true;
    case 'n':
    case 'N':
    case 'f':
    case 'F':
    case '0':
      return false;
    case 'o':
    case 'O':
      if (s[1] === 'n' || s[1] === 'N') return true;
      if (s[1] === 'f' || s[1] === 'F') return false;
      return undefined;
    default:
      return undefined;
  }
}

const INT_MIN = -0x8000_0000;
const INT_MAX = 0x7fff_ffff;
const UINT_MAX = 0xffff_ffff;

/**
 * kstrtoull(s, 0): base from the prefix (`0x` hex, a leading `0` octal, else decimal), an optional
 * `+`, one trailing newline allowed, nothing else.
 */
function kstrtoull0(s: string): number | undefined {
  let t = s.startsWith('+') ? s.slice(1) : s;
  if (t.endsWith('\n')) t = t.slice(0, -1);
  let digits: RegExp;
  let base: number;
  if (/^0[xX]/.test(t)) {
    t = t.slice(2);
    digits = /^[0-9a-fA-F]+$/;
    base = 16;
  } else if (t.length > 1 && t.startsWith('0')) {
    t = t.slice(1);
    digits = /^[0-7]+$/;
    base = 8;
  } else {
    digits = /^[0-9]+$/;
    base = 10;
  }
  if (!digits.test(t)) return undefined;
  const n = Number.parseInt(t, base);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** kstrtoint(s, 0): a signed 32-bit integer. */
export function kstrtoint(s: string): number | undefined {
  const neg = s.startsWith('-');
  const n = kstrtoull0(neg ? s.slice(1) : s);
  if (n === undefined || (neg && s.startsWith('-+'))) return undefined;
  const v = neg ? -n : n;
  return v < INT_MIN || v > INT_MAX ? undefined : v;
}

/** kstrtouint(s, 0): an unsigned 32-bit integer. */
export function kstrtouint(s: string): number | undefined {
  const n = kstrtoull0(s);
  return n === undefined || n > UINT_MAX ? undefined : n;
}
