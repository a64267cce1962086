// A BROKEN bounded queue for `torture --torture object --ops` that loses elements under a race:
// consumers claim the head with compare-and-swap, but a producer advances the tail with a plain
// load and store. Two producers that read the same tail both write that slot and both store
// tail + 1: both enqueues return true, one element is gone, and a later dequeue finds the queue
// empty (or short) where the specification still holds it. The fix: claim the tail with
// compare-and-swap too (and publish the slot before the index: see racy_ring.mjs).
//
// Layout (Int32 words): [0] head, [16] tail (counters), [32..] the slots.

const CAPACITY = 16;
const HEAD = 0;
const TAIL = 16;
const SLOTS = 32;

export default {
  name: 'lossy_queue',
  sharedBytes: (SLOTS + CAPACITY) * 4,
  init() {},
  operations: [
    {
      name: 'enqueue',
      arg: (_rand, ctx) => ctx.thread * 1000000 + ctx.seq + 1,
      call(s, v) {
        const tail = Atomics.load(s, TAIL);
        if (tail - Atomics.load(s, HEAD) >= CAPACITY) return false;
        Atomics.store(s, SLOTS + (tail % CAPACITY), v);
        // BUG: not a compare-and-swap: a producer that read the same tail overwrote the slot.
        Atomics.store(s, TAIL, tail + 1);
        return true;
      },
    },
    {
      name: 'dequeue',
      call(s) {
        for (;;) {
          const head = Atomics.load(s, HEAD);
          if (head === Atomics.load(s, TAIL)) return null;
          const v = Atomics.load(s, SLOTS + (head % CAPACITY));
          if (Atomics.compareExchange(s, HEAD, head, head + 1) === head) return v;
        }
      },
    },
  ],
  spec: {
    initial: [],
    step(q, op, arg) {
      if (op === 'enqueue') return q.length >= CAPACITY ? [false, q] : [true, [...q, arg]];
      return q.length === 0 ? [null, q] : [q[0], q.slice(1)];
    },
  },
};
