/*
 * The TortureError a call throws (or a promise rejects with), for tests that assert on bad input's message and code: anything
 * else thrown is rethrown, and a call that returns fails the test.
 */

import { TortureError } from '../errors.js';

export function errorOf(fn: () => unknown): TortureError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TortureError) return e;
    throw e;
  }
  throw new Error('expected a TortureError');
}

/** The TortureError (of `code`, when given) a promise rejects with; anything else is rethrown. */
export async function rejectionOf(p: Promise<unknown>, code?: string): Promise<TortureError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TortureError && (code === undefined || e.code === code)) return e;
    throw e;
  }
  throw new Error('expected a TortureError');
}
