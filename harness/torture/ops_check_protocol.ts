/*
 * The one line the ops-module checker child (ops_check_child.ts) writes to its parent
 * (ops_check.ts): a file of its own so that the parent can name it without importing the child,
 * whose top level IS the check.
 */

/** What the child found; `unsettled`: the event loop emptied with the module's import pending. */
export type OpsCheckVerdict =
  | { readonly kind: 'ok'; readonly name: string; readonly sharedBytes: number }
  | { readonly kind: 'bad'; readonly message: string }
  | { readonly kind: 'unsettled' };

/**
 * The child's fourth stdio entry, a pipe to the parent: not stdout, which the module may print
 * on as it likes.
 */
export const VERDICT_FD = 3;
