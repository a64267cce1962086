/*
 * A map's lock class for one validator: lockdep_map::class_cache on the map, then a thread-local
 * Map from key to its subclasses' class ids, then the shared class table (look_up_lock_class()),
 * registering the class under the graph lock when it is new (register_lock_class()). Kept apart
 * from the validator since it is the one step of lock_acquire() that does not depend on the held
 * locks.
 */

import type { LockClassKey, LockdepMap } from '../kapi.js';
import type { Graph } from './graph.js';
import { MAX_LOCKDEP_SUBCLASSES } from './layout.js';
import type { Reporter } from './reporter.js';

/* The class cache a map carries (the kernel's lockdep_map::class_cache), keyed by its ClassLookup. */
const CLASS_CACHE: unique symbol = Symbol('lockdep.class_cache');
type CachedMap = LockdepMap & { [CLASS_CACHE]?: { readonly v: object; readonly sub: number; readonly cls: number } };

export class ClassLookup {
  readonly #g: Graph;
  readonly #reporter: Reporter;
  readonly #classCache = new Map<LockClassKey, Int32Array>();

  constructor(g: Graph, reporter: Reporter) {
    this.#g = g;
    this.#reporter = reporter;
  }

  /** The class of `map` taken as `subclass`; -1 when a capacity limit was hit (reported). */
  classOf(map: LockdepMap, subclass: number): number {
    // lockdep_map::class_cache: the class of this map's last subclass, for this validator.
    const cc = (map as CachedMap)[CLASS_CACHE];
    if (cc !== undefined && cc.v === this && cc.sub === subclass) return cc.cls;
    const cls = this.#keyClass(map.key, subclass);
    if (cls < 0) return -1;
    // A map the caller froze simply goes without (the Map look-up each time).
    if (Object.isExtensible(map)) (map as CachedMap)[CLASS_CACHE] = { v: this, sub: subclass, cls };
    return cls;
  }

  #keyClass(key: LockClassKey, subclass: number): number {
    let ids = this.#classCache.get(key);
    if (ids === undefined) {
      ids = new Int32Array(MAX_LOCKDEP_SUBCLASSES).fill(-1);
      this.#classCache.set(key, ids);
    }
    const sub = subclass & (MAX_LOCKDEP_SUBCLASSES - 1);
    const c = ids[sub] ?? -1;
    if (c >= 0) return c;
    return this.#registerClass(key, sub, ids);
  }

  /** register_lock_class(): find the class in the shared table, or add it under the graph lock. */
  #registerClass(key: LockClassKey, sub: number, ids: Int32Array): number {
    const g = this.#g;
    let c = g.findClass(key.name, key.ordinal, sub);
    if (c < 0) {
      this.#reporter.graphLock();
      try {
        c = g.registerClass(key.name, key.ordinal, sub, key.waitType, key.type);
      } catch (e) {
        this.#reporter.capacity(e);
        return -1;
      } finally {
        this.#reporter.graphUnlock();
      }
    }
    ids[sub] = c;
    return c;
  }
}
