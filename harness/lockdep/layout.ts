/*
 * Shared-memory layout of the lockdep region: one header of counters and section offsets, then
 * the class table, the class hash, the dependency entries, the entry hash, the chain hash, the
 * stack hash, the report-dedupe set and the string arena (class names and stack text).
 *
 * Guarantees: every thread derives the same layout from the header the initialising thread wrote,
 * so capacities can differ per region (selftests use small ones). No bare offsets elsewhere: all
 * other files index through the constants here.
 */

/** Capacities, named after the kernel's (values are smaller than the kernel's defaults). */
export interface LockdepLimits {
  readonly MAX_LOCKDEP_KEYS: number;
  readonly MAX_LOCKDEP_ENTRIES: number;
  readonly MAX_LOCKDEP_CHAINS: number;
  readonly MAX_STACK_TRACE_ENTRIES: number;
  /** Words of the string arena holding class names and stack text (2 UTF-16 units per word). */
  readonly ARENA_WORDS: number;
}

/** Defaults: smaller than the kernel's (8192 / 32768 / 65536 / 524288) to keep the region small. */
export const DEFAULT_LIMITS: LockdepLimits = {
  MAX_LOCKDEP_KEYS: 8192,
  MAX_LOCKDEP_ENTRIES: 32768,
  MAX_LOCKDEP_CHAINS: 65536,
  MAX_STACK_TRACE_ENTRIES: 131072,
  ARENA_WORDS: 1 << 21,
};

export const MAX_LOCK_DEPTH = 48;
export const MAX_LOCKDEP_SUBCLASSES = 8;

/* Header words. */
export const H_INIT = 0; // 0 fresh, 1 initialising, 2 ready
export const H_GRAPH_LOCK = 1; // 0 free, 1 held, 2 held with waiters
export const H_DEBUG_LOCKS = 2; // debug_locks: 1 validating, 0 switched off
export const H_MAX_KEYS = 3;
export const H_MAX_ENTRIES = 4;
export const H_MAX_CHAINS = 5;
export const H_MAX_STACK_ENTRIES = 6;
export const H_ARENA_WORDS = 7;
export const H_OFF_CLASSES = 8;
export const H_OFF_CLASS_HASH = 9;
export const H_OFF_EDGES = 10;
export const H_OFF_CHAINS = 11;
export const H_OFF_STACK_HASH = 12;
export const H_OFF_DEDUPE = 13;
export const H_OFF_ARENA = 14;
export const H_OFF_EDGE_HASH = 15;
/* Counters (/proc/lockdep_stats). */
export const C_CLASSES = 16;
export const C_ENTRIES = 17;
export const C_CHAINS = 18;
export const C_CHAIN_HLOCKS = 19;
export const C_CHAINS_HARDIRQ = 20;
export const C_CHAINS_SOFTIRQ = 21;
export const C_CHAINS_PROCESS = 22;
export const C_STACK_ENTRIES = 23;
export const C_STACK_TRACES = 24;
export const C_STACK_HASH_CHAINS = 25;
export const C_ARENA_USED = 26;
export const C_MAX_DEPTH = 27;
export const C_MAX_BFS = 28;
export const C_REPORTS = 29;
export const C_VALIDATIONS = 30;
export const C_DEDUPE_USED = 31;
/* Graph-order state (graph.ts). */
export const H_ORDER_OK = 32; // 1 while the class order is topological (every entry from lower to higher CL_ORD)
export const H_USED_IN = 33; // OR of every class's usage mask: is any class irq-safe at all?
export const C_ORDER_SKIPS = 34; // new dependencies the order proved acyclic without a graph search
export const C_ORDER_SEARCHES = 35; // new dependencies that needed the kernel's BFS
/*
 * Slots of the entry hash in use (a power of two up to Layout.edgeHashSlots): it starts small and
 * doubles under the graph lock as entries are added (graph.ts), so a region sized for a long trace
 * probes a table the size of the entries it has, not of the most it could have.
 */
export const H_EDGE_HASH_ACTIVE = 36;
export const HEADER_WORDS = 64;

/* Class record. */
export const CL_NAME = 0; // arena string id
export const CL_ORDINAL = 1;
export const CL_SUBCLASS = 2;
export const CL_WAIT = 3;
export const CL_TYPE = 4; // index in LOCK_TYPES
export const CL_USAGE = 5; // usage mask (bits 0..8), only grows
export const CL_USAGE_TRACE = 6; // 9 words: stack id per usage bit
export const CL_FWD = 15; // first forward entry + 1
export const CL_BACK = 16; // first backward entry + 1
export const CL_NFWD = 17;
export const CL_NBACK = 18;
export const CL_ORD = 19; // position in the topological order of the graph (graph.ts)
export const CLASS_WORDS = 20;

/* Dependency entry (one record is on both the forward list of `from` and the backward list of `to`). */
export const E_FROM = 0;
export const E_TO = 1;
export const E_DEP = 2; // DEP_* bits
export const E_TRACE = 3; // stack id of the first recording
export const E_NEXT_FWD = 4;
export const E_NEXT_BACK = 5;
export const E_DISTANCE = 6;
export const EDGE_WORDS = 8;

/*
 * Entry hash slot: the (from, to) key itself, and the entry + 1 (0: empty) with a copy of the
 * entry's kinds: ((entry + 1) << EH_SHIFT) | (distance 1 ? EH_DIST1 : 0) | DEP_* bits. The key in
 * the slot saves a probe the read of the entry record (another cache line, often another page),
 * and the kinds save it a dependency seen again (check_prev_add on a present entry), the common
 * case. Classes are below MAX_CLASS_IDS, so the key is (from << 16) | to; entries below
 * MAX_ENTRY_IDS.
 */
export const EH_KEY = 0;
export const EH_ENTRY = 1;
export const EDGE_HASH_WORDS = 2;
export const EH_DIST1 = 16;
export const EH_SHIFT = 5;
export const MAX_ENTRY_IDS = (1 << 26) - 1;
/** Class ids fit 16 bits: the entry hash key and the chain key id (chain_cache.ts) rely on it. */
export const MAX_CLASS_IDS = 1 << 16;

/*
 * Chain slot (open addressing, at least 1.5 slots per allowed chain): the 64-bit chain key alone.
 * CH_LO is never 0 in a used slot (chain_cache.ts) and is the word that publishes the slot. Two
 * words, so that a table the size of a long trace's chains stays within reach of the TLB.
 */
export const CH_HI = 0;
export const CH_LO = 1;
export const CHAIN_WORDS = 2;


/*
 * Dependency kinds (README.md here, "Semantics"): bit index = (prev exclusive ? 1 : 0) + (next non-recursive ? 2 : 0).
 */
export const DEP_SR = 1 << 0;
export const DEP_ER = 1 << 1;
export const DEP_SN = 1 << 2;
export const DEP_EN = 1 << 3;

export interface Layout {
  readonly base: number;
  readonly maxKeys: number;
  readonly maxEntries: number;
  readonly maxChains: number;
  readonly maxStackEntries: number;
  readonly arenaWords: number;
  readonly classes: number;
  readonly classHash: number;
  readonly classHashSlots: number;
  readonly edges: number;
  readonly edgeHash: number;
  readonly edgeHashSlots: number;
  readonly chains: number;
  readonly chainSlots: number;
  readonly stackHash: number;
  readonly stackHashSlots: number;
  readonly dedupe: number;
  readonly dedupeSlots: number;
  readonly arena: number;
}

function pow2AtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Offsets for given limits, relative to `base`. */
export function computeLayout(base: number, l: LockdepLimits): Layout {
  if (l.MAX_LOCKDEP_ENTRIES > MAX_ENTRY_IDS) throw new RangeError(`MAX_LOCKDEP_ENTRIES is ${l.MAX_LOCKDEP_ENTRIES}: entry ids must fit 26 bits (at most ${MAX_ENTRY_IDS})`);
  if (l.MAX_LOCKDEP_KEYS > MAX_CLASS_IDS) throw new RangeError(`MAX_LOCKDEP_KEYS is ${l.MAX_LOCKDEP_KEYS}: class ids must fit 16 bits (at most ${MAX_CLASS_IDS})`);
  const classHashSlots = pow2AtLeast(l.MAX_LOCKDEP_KEYS * 2);
  const chainSlots = pow2AtLeast(Math.ceil(l.MAX_LOCKDEP_CHAINS * 1.5));
  const edgeHashSlots = pow2AtLeast(l.MAX_LOCKDEP_ENTRIES * 2);
  // Stacks are saved per new dependency, usage bit and chain: sized after the entries.
  const stackHashSlots = pow2AtLeast(Math.max(8192, l.MAX_LOCKDEP_ENTRIES));
  let off = base + HEADER_WORDS;
  const classes = off;
  off += l.MAX_LOCKDEP_KEYS * CLASS_WORDS;
  const classHash = off;
  off += classHashSlots;
  const edges = off;
  off += l.MAX_LOCKDEP_ENTRIES * EDGE_WORDS;
  const edgeHash = off;
  off += edgeHashSlots * EDGE_HASH_WORDS;
  const chains = off;
  off += chainSlots * CHAIN_WORDS;
  const stackHash = off;
  off += stackHashSlots;
  // Distinct problems of continueAfterReport (--all): at least one per class, as classes grow.
  const dedupeSlots = pow2AtLeast(Math.max(1024, l.MAX_LOCKDEP_KEYS * 2));
  const dedupe = off;
  off += dedupeSlots;
  const arena = off;
  return {
    base,
    maxKeys: l.MAX_LOCKDEP_KEYS,
    maxEntries: l.MAX_LOCKDEP_ENTRIES,
    maxChains: l.MAX_LOCKDEP_CHAINS,
    maxStackEntries: l.MAX_STACK_TRACE_ENTRIES,
    arenaWords: l.ARENA_WORDS,
    classes,
    classHash,
    classHashSlots,
    edges,
    edgeHash,
    edgeHashSlots,
    chains,
    chainSlots,
    stackHash,
    stackHashSlots,
    dedupe,
    dedupeSlots,
    arena,
  };
}

/** Words a region with these limits needs. */
export function regionWords(l: LockdepLimits): number {
  const lay = computeLayout(0, l);
  return lay.arena + l.ARENA_WORDS;
}

/** Int32 words the validator needs in the shared region with the default limits (about 9 MiB). */
export const LOCKDEP_SHM_WORDS: number = regionWords(DEFAULT_LIMITS);

/** Read the layout the initialising thread recorded in the header. */
export function layoutFromHeader(i32: Int32Array, base: number): Layout {
  const lim: LockdepLimits = {
    MAX_LOCKDEP_KEYS: i32[base + H_MAX_KEYS] ?? 0,
    MAX_LOCKDEP_ENTRIES: i32[base + H_MAX_ENTRIES] ?? 0,
    MAX_LOCKDEP_CHAINS: i32[base + H_MAX_CHAINS] ?? 0,
    MAX_STACK_TRACE_ENTRIES: i32[base + H_MAX_STACK_ENTRIES] ?? 0,
    ARENA_WORDS: i32[base + H_ARENA_WORDS] ?? 0,
  };
  return computeLayout(base, lim);
}

/** Write a fresh header (the caller owns the region exclusively). */
export function writeHeader(i32: Int32Array, lay: Layout): void {
  const b = lay.base;
  i32[b + H_MAX_KEYS] = lay.maxKeys;
  i32[b + H_MAX_ENTRIES] = lay.maxEntries;
  i32[b + H_MAX_CHAINS] = lay.maxChains;
  i32[b + H_MAX_STACK_ENTRIES] = lay.maxStackEntries;
  i32[b + H_ARENA_WORDS] = lay.arenaWords;
  i32[b + H_OFF_CLASSES] = lay.classes - b;
  i32[b + H_OFF_CLASS_HASH] = lay.classHash - b;
  i32[b + H_OFF_EDGES] = lay.edges - b;
  i32[b + H_OFF_EDGE_HASH] = lay.edgeHash - b;
  i32[b + H_OFF_CHAINS] = lay.chains - b;
  i32[b + H_OFF_STACK_HASH] = lay.stackHash - b;
  i32[b + H_OFF_DEDUPE] = lay.dedupe - b;
  i32[b + H_OFF_ARENA] = lay.arena - b;
  i32[b + H_DEBUG_LOCKS] = 1;
  i32[b + H_ORDER_OK] = 1;
  i32[b + H_EDGE_HASH_ACTIVE] = Math.min(lay.edgeHashSlots, 1024);
}
