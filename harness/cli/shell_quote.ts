/*
 * Command lines as a person would type them again: the first line of every results directory's
 * `log`, each battery step's `.out` and its record. One quoting rule for all of them, so that a
 * logged command can be pasted back into a POSIX shell.
 */

/** `a` as one shell word: bare when it is plain, else single-quoted. */
export function shellQuote(a: string): string {
  return /^[A-Za-z0-9_./=:,*+-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
}

/** `torture ARGS...` (or another program's) as typed, each word quoted as needed. */
export function commandLineOf(argv: readonly string[], program = 'torture'): string {
  return [program, ...argv.map(shellQuote)].join(' ');
}
