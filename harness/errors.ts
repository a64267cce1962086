/*
 * Coded errors for bad input and set-up problems (exit 2). Findings in the kernel under test are
 * never exceptions: they are console output and report data.
 */

export const TORTURE_ERROR_CODES = [
  'USAGE',
  'CONFIG_UNKNOWN_SCENARIO',
  'CONFIG_UNKNOWN_KEY',
  'CONFIG_BAD_VALUE',
  'CONFIG_BAD_FILE',
  'KERNEL_UNKNOWN_OPS',
  'OPS_MODULE',
  'TRACE_MALFORMED',
  'RESULTS_DIR',
] as const;
export type TortureErrorCode = (typeof TORTURE_ERROR_CODES)[number];

export class TortureError extends Error {
  override readonly name = 'TortureError';
  readonly code: TortureErrorCode;
  constructor(code: TortureErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isTortureError(e: unknown): e is TortureError {
  return e instanceof TortureError;
}
