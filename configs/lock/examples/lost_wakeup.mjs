// A BROKEN user lock that loses wake-ups: a contended lock() sleeps until notified, but
// unlock() never notifies. The first waiter that goes to sleep never wakes although the lock is
// free; the guest's hang detector must report it (who waits for `lost_wakeup`, who holds it).

let word = /** @type {Int32Array} */ (new Int32Array(1));

async function lockSlow() {
  while (Atomics.compareExchange(word, 0, 0, 1) !== 0) {
    const w = Atomics.waitAsync(word, 0, 1);
    if (w.async) await w.value;
  }
}

export default {
  name: 'lost_wakeup',
  sharedBytes: 4,
  init(shared) {
    word = shared;
  },
  writeLock() {
    if (Atomics.compareExchange(word, 0, 0, 1) !== 0) return lockSlow();
  },
  writeUnlock() {
    // BUG: no Atomics.notify(), so a sleeping waiter is never woken.
    Atomics.store(word, 0, 0);
  },
};
