/*
 * The TortureError a call throws, for tests that assert on bad input's message and code: anything
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
