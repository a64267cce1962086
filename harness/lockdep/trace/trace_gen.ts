/*
 * Generated lock traces for `torture bench lockdep-trace`: T tasks take and drop C lock classes in
 * one consistent order (class i before class j only when i < j), interleaved event by event, so
 * the trace is clean and every new dependency goes through the graph checks. Acquire/release only.
 *
 * Each task holds at most MAX_HELD locks; at each of its turns it takes a class above the one it
 * holds on top (uniform over the classes above: many distinct dependencies, the expensive case)
 * or drops its top lock. Deterministic for a given seed (mulberry32).
 */

export interface TraceGenOptions {
  readonly events: number;
  readonly classes: number;
  readonly tasks: number;
  readonly seed?: number;
}

const MAX_HELD = 4;
const TYPES = ['mutex', 'spinlock', 'rwsem', 'mutex'] as const;

/** mulberry32: a small seeded generator of floats in [0, 1), for reproducible generated workloads. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The trace as JSONL text (one event per line, `\n`-terminated); ends with every lock released. */
export function generateTrace(o: TraceGenOptions): string {
  const rnd = mulberry32(o.seed ?? 1);
  const held: number[][] = Array.from({ length: o.tasks }, () => []);
  const typed = new Uint8Array(o.classes);
  const out: string[] = [];
  let n = 0;
  const release = (t: number): void => {
    const h = held[t] ?? [];
    const c = h.pop() ?? 0;
    out.push(`{"op":"release","task":"task${t}","lock":"lock_${c}"}`);
    n++;
  };
  while (n < o.events) {
    const t = Math.floor(rnd() * o.tasks);
    const h = held[t] ?? [];
    const top = h.length > 0 ? (h[h.length - 1] ?? 0) : -1;
    // Keep enough events to release everything held at the end.
    const pending = held.reduce((a, x) => a + x.length, 0);
    const room = o.events - n - pending;
    const canTake = h.length < MAX_HELD && top < o.classes - 1 && room >= 2;
    if (canTake && (h.length === 0 || rnd() < 0.5)) {
      const c = top + 1 + Math.floor(rnd() * (o.classes - top - 1));
      h.push(c);
      if (typed[c] === 0) {
        typed[c] = 1;
        out.push(`{"op":"acquire","task":"task${t}","lock":"lock_${c}","type":"${TYPES[c & 3] ?? 'mutex'}"}`);
      } else {
        out.push(`{"op":"acquire","task":"task${t}","lock":"lock_${c}"}`);
      }
      n++;
    } else if (h.length > 0) {
      release(t);
    } else if (room < 2) {
      // Nothing held and no room for a pair: drain the others.
      for (let u = 0; u < o.tasks && n < o.events; u++) while ((held[u]?.length ?? 0) > 0) release(u);
      if (held.every((x) => x.length === 0) && n < o.events) break;
    }
  }
  return out.join('\n') + '\n';
}
