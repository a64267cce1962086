// A correct reader-writer user lock for `torture --torture lock --ops`: a spinning rwlock on one
// shared word (bit 0 = writer, bits 1.. = reader count). Nothing returns a Promise, so every
// call completes before returning (it spins, keeping its CPU). Shows readLock/readUnlock: the run
// prints a `Reads :` line as well as `Writes:`.

const WRITER = 1;
const READER = 2;
let word = /** @type {Int32Array} */ (new Int32Array(1));

export default {
  name: 'rw_spinlock',
  sharedBytes: 4,
  init(shared) {
    word = shared;
  },
  writeLock() {
    while (Atomics.compareExchange(word, 0, 0, WRITER) !== 0);
  },
  writeUnlock() {
    Atomics.sub(word, 0, WRITER);
  },
  readLock() {
    for (;;) {
      const v = Atomics.load(word, 0);
      if ((v & WRITER) === 0 && Atomics.compareExchange(word, 0, v, v + READER) === v) return;
    }
  },
  readUnlock() {
    Atomics.sub(word, 0, READER);
  },
};
