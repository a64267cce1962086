/*
 * A benchmarked lock as the runner drives it: a lock/unlock pair of plain functions, or the reason
 * it cannot be driven (a "skipped" row). Its own file so that lock_ops.ts and user_lock.ts share
 * the type without importing each other.
 */

export type LockPair =
  | { readonly kind: 'sync'; lock(): void; unlock(): void }
  | { readonly kind: 'async'; lock(): Promise<unknown>; unlock(): void }
  | { readonly kind: 'maybe'; lock(): PromiseLike<unknown> | undefined; unlock(): PromiseLike<unknown> | undefined };

export type ResolvedPair = { readonly ok: true; readonly pair: LockPair } | { readonly ok: false; readonly reason: string };
