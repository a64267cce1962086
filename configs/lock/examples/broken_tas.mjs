// A BROKEN user lock: test-and-set made of a load and a separate store. Two CPUs can both see
// the word free and both "take" it, so locktorture must report `Fail:` with `!!!` and end
// `End of test: FAILURE`.

let word = /** @type {Int32Array} */ (new Int32Array(1));

export default {
  name: 'broken_tas',
  sharedBytes: 4,
  init(shared) {
    word = shared;
  },
  writeLock() {
    while (Atomics.load(word, 0) !== 0);
    // BUG: another CPU may store 1 between our load above and this store.
    Atomics.store(word, 0, 1);
  },
  writeUnlock() {
    Atomics.store(word, 0, 0);
  },
};
