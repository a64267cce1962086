/*
 * The suite table: `--torture` accepts exactly its keys, in this order. A new suite is one file
 * beside these and one line here.
 */

import { lock } from './lock.js';
import { object } from './object.js';
import { rcu } from './rcu.js';
import type { Suite } from './suite.js';

export const SUITES = { rcu, lock, object } as const satisfies Record<string, Suite>;
export type TortureSuite = keyof typeof SUITES;
export const TORTURE_SUITES = Object.keys(SUITES) as readonly TortureSuite[];

/** Whether `name` is a suite (for names read from files). */
export function isTortureSuite(name: string | null | undefined): name is TortureSuite {
  return name != null && Object.hasOwn(SUITES, name);
}
