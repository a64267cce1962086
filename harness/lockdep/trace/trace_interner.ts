/*
 * Trace names (tasks, locks) -> dense ids; stacks -> one array per distinct stack. The byte scanner looks a name up by the ASCII bytes of
 * the line and their FNV-1a hash, computed while scanning, so a name already seen costs no string;
 * the JSON.parse path looks up by string. One table serves both, so a name gets one id either way.
 */

import { fnv1a } from '../../lib/fnv1a.js';

/** Names -> ids, looked up by string or by the ASCII bytes of a buffer range (no string made). */
export class Interner {
  readonly names: string[] = [];
  readonly #byName = new Map<string, number>();
  #slots = new Int32Array(1024);
  #hashes: number[] = [];

  #insertSlot(id: number, h: number): void {
    const mask = this.#slots.length - 1;
    let s = h & mask;
    while ((this.#slots[s] ?? 0) !== 0) s = (s + 1) & mask;
    this.#slots[s] = id + 1;
  }

  #add(name: string, h: number, ascii: boolean): number {
    const id = this.names.length;
    this.names.push(name);
    this.#hashes.push(h);
    this.#byName.set(name, id);
    if (ascii) {
      if ((id + 1) * 2 > this.#slots.length) {
        const old = this.#slots;
        this.#slots = new Int32Array(old.length * 2);
        for (const v of old) if (v !== 0) this.#insertSlot(v - 1, this.#hashes[v - 1] ?? 0);
      }
      this.#insertSlot(id, h);
    }
    return id;
  }

  /** The id of an ASCII name given as bytes [s, e) of b (hash h); a new name is added. */
  bytes(b: Uint8Array, s: number, e: number, h: number): number {
    const mask = this.#slots.length - 1;
    let slot = h & mask;
    const len = e - s;
    for (;;) {
      const v = this.#slots[slot] ?? 0;
      if (v === 0) break;
      const name = this.names[v - 1] ?? '';
      if ((this.#hashes[v - 1] ?? 0) === h && name.length === len) {
        let k = 0;
        while (k < len && name.charCodeAt(k) === b[s + k]) k++;
        if (k === len) return v - 1;
      }
      slot = (slot + 1) & mask;
    }
    return this.#add(String.fromCharCode.apply(null, Array.from(b.subarray(s, e))), h, true);
  }

  string(name: string): number {
    const id = this.#byName.get(name);
    if (id !== undefined) return id;
    // eslint-disable-next-line no-control-regex
    const ascii = /^[\x00-\x7f]*$/.test(name);
    return this.#add(name, fnv1a(name), ascii);
  }
}

/**
 * Stacks -> one shared array per distinct stack. A trace repeats its call chains: kept once each,
 * a trace with a stack on every line costs memory for its distinct stacks, not for its lines
 * (400,000 stacks of 50 distinct ones: 680 MB peak before).
 */
export class StackInterner {
  readonly #byKey = new Map<string, readonly string[]>();

  intern(stack: readonly string[]): readonly string[] {
    // The frames joined by NUL as the key (native, no escaping); frames that contain NUL could
    // make two stacks one key, so a hit is compared frame by frame (a mismatch stays its own).
    const key = stack.join('\0');
    const known = this.#byKey.get(key);
    if (known === undefined) {
      this.#byKey.set(key, stack);
      return stack;
    }
    if (known.length !== stack.length) return stack;
    for (let i = 0; i < stack.length; i++) if (known[i] !== stack[i]) return stack;
    return known;
  }
}
