// A correct bounded FIFO queue for `torture --torture object --ops`: a ring of 16 slots under a
// futex-style lock (Drepper's mutex2 on one word, waiting with Atomics.wait). Every call takes the
// lock, so the queue is linearizable: each call takes effect while it holds the lock.
//
// Layout (Int32 words): [0] lock word (0 free, 1 locked, 2 locked with waiters), [16] head,
// [17] tail (counters; the slot is the counter modulo CAPACITY), [32..] the slots.

const CAPACITY = 16;
const LOCK = 0;
const HEAD = 16;
const TAIL = 17;
const SLOTS = 32;

function lock(s) {
  let c = Atomics.compareExchange(s, LOCK, 0, 1);
  if (c === 0) return;
  if (c !== 2) c = Atomics.exchange(s, LOCK, 2);
  while (c !== 0) {
    // Sleep while the word reads 2; pairs with the store + notify in unlock().
    Atomics.wait(s, LOCK, 2, 10);
    c = Atomics.exchange(s, LOCK, 2);
  }
}

function unlock(s) {
  if (Atomics.sub(s, LOCK, 1) !== 1) {
    Atomics.store(s, LOCK, 0);
    Atomics.notify(s, LOCK, 1);
  }
}

export default {
  name: 'locked_queue',
  sharedBytes: (SLOTS + CAPACITY) * 4,
  init() {},
  operations: [
    {
      name: 'enqueue',
      // Unique values: the task's number and its call count (never 0, the empty slot's value).
      arg: (_rand, ctx) => ctx.thread * 1000000 + ctx.seq + 1,
      call(s, v) {
        lock(s);
        try {
          const head = s[HEAD];
          const tail = s[TAIL];
          if (tail - head >= CAPACITY) return false;
          s[SLOTS + (tail % CAPACITY)] = v;
          s[TAIL] = tail + 1;
          return true;
        } finally {
          unlock(s);
        }
      },
    },
    {
      name: 'dequeue',
      call(s) {
        lock(s);
        try {
          const head = s[HEAD];
          if (head === s[TAIL]) return null;
          const v = s[SLOTS + (head % CAPACITY)];
          s[HEAD] = head + 1;
          return v;
        } finally {
          unlock(s);
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
