// A BROKEN bounded queue for `torture --torture object --ops` that loses elements under a race:
// consumers claim the head with compare-and-swap, but an async producer reads the tail, seals
// the record (a SHA-256 checksum from WebCrypto, which resolves on Node's thread pool), then
// writes the slot and stores tail + 1: a read-modify-write across an await. Two producers that
// read the same tail (another task of this CPU runs during the await, or another CPU) both write
// that slot and both store tail + 1: both enqueues return true, one element is gone, and a later
// dequeue finds the queue empty (or short) where the specification still holds it. The fix:
// seal first, then claim the tail with compare-and-swap (and publish the slot before the index:
// see racy_ring.mjs).
//
// Layout (Int32 words): [0] head, [16] tail (counters), [32..] the records [value, checksum].

const CAPACITY = 16;
const HEAD = 0;
const TAIL = 16;
const SLOTS = 32;

/** The record's checksum: the first word of the SHA-256 of its value. */
async function checksum(v) {
  const digest = await crypto.subtle.digest('SHA-256', new Int32Array([v]));
  return new Int32Array(digest)[0];
}

// A thread's first digest initialises WebCrypto: 20-70 ms, measured. Every task's first enqueue
// then overlapped every other's and hundreds of dequeues, and such a history is exponential to
// check (every order of every subset of those enqueues is a queue state of its own; see
// harness/linearizability/README.md, "Cost"). Warmed once as each CPU loads the module, the
// enqueues overlap for about a millisecond, as they do for the rest of the test.
await checksum(0);

export default {
  name: 'lossy_queue',
  sharedBytes: (SLOTS + 2 * CAPACITY) * 4,
  init() {},
  operations: [
    {
      name: 'enqueue',
      arg: (_rand, ctx) => ctx.thread * 1000000 + ctx.seq + 1,
      async call(s, v) {
        const tail = Atomics.load(s, TAIL);
        if (tail - Atomics.load(s, HEAD) >= CAPACITY) return false;
        const sum = await checksum(v);
        // BUG: `tail` was read before the await; another producer may have used it meanwhile.
        const rec = SLOTS + 2 * (tail % CAPACITY);
        Atomics.store(s, rec + 1, sum);
        Atomics.store(s, rec, v);
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
          const v = Atomics.load(s, SLOTS + 2 * (head % CAPACITY));
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
