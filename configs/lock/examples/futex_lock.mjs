// A correct user lock for `torture --torture lock --ops`: Drepper's futex mutex ("Futexes Are
// Tricky", mutex2) on one shared word: 0 free, 1 locked, 2 locked with possible waiters.
// A contended lock() returns a Promise (a sleeping lock): the task sleeps in Atomics.waitAsync
// and its CPU runs other tasks meanwhile. unlock() notifies only when the word said "waiters".

let word = /** @type {Int32Array} */ (new Int32Array(1));

async function lockSlow(c) {
  if (c !== 2) c = Atomics.exchange(word, 0, 2);
  while (c !== 0) {
    // Sleep while the word still reads 2; pairs with the store + notify in writeUnlock().
    const w = Atomics.waitAsync(word, 0, 2);
    if (w.async) await w.value;
    c = Atomics.exchange(word, 0, 2);
  }
}

export default {
  name: 'futex_lock',
  sharedBytes: 4,
  init(shared) {
    word = shared;
  },
  writeLock() {
    const c = Atomics.compareExchange(word, 0, 0, 1);
    if (c !== 0) return lockSlow(c);
  },
  writeUnlock() {
    if (Atomics.sub(word, 0, 1) !== 1) {
      Atomics.store(word, 0, 0);
      Atomics.notify(word, 0, 1);
    }
  },
};
