// A BROKEN bounded ring buffer for `torture --torture object --ops`: lock-free, with an async
// producer that reserves its slot, then seals the record (a SHA-256 checksum from WebCrypto,
// which resolves on Node's thread pool), then writes it. The reservation
// (compare-and-swap of the tail index) is what consumers read as "an element is there", so the
// index update is not atomic with the slot write: a consumer that runs while the producer is
// still preparing (any other task, on this CPU or another) dequeues what the slot held before,
// 0 (never enqueued) or an element of the previous lap (dequeued twice), and the new element is
// later skipped. The fix: publish per slot after the write (a sequence number per slot, as in
// Vyukov's bounded queue), or reserve and publish separately.
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

export default {
  name: 'racy_ring',
  sharedBytes: (SLOTS + 2 * CAPACITY) * 4,
  init() {},
  operations: [
    {
      name: 'enqueue',
      arg: (_rand, ctx) => ctx.thread * 1000000 + ctx.seq + 1,
      async call(s, v) {
        for (;;) {
          const tail = Atomics.load(s, TAIL);
          if (tail - Atomics.load(s, HEAD) >= CAPACITY) return false;
          if (Atomics.compareExchange(s, TAIL, tail, tail + 1) === tail) {
            // BUG: the index is visible to consumers; the element is not written yet.
            const sum = await checksum(v);
            const rec = SLOTS + 2 * (tail % CAPACITY);
            Atomics.store(s, rec + 1, sum);
            Atomics.store(s, rec, v);
            return true;
          }
        }
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
