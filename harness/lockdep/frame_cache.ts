/*
 * The stack of the current slow path, captured at most once (a capture costs about 2 µs, so an
 * acquisition that records a dependency, a usage bit and a report shares one). Shared by the
 * validator, its site strategy and its reporter; reset at the start of each slow path.
 */

import { captureStack as defaultCapture } from './stack.js';
import type { LockdepEnv } from './types.js';

export class FrameCache {
  /** A fresh capture (LockdepEnv.captureStack, else stack.ts), never cached. */
  readonly capture: () => string[];
  #frames: string[] | null = null;

  constructor(env: LockdepEnv) {
    const cap = env.captureStack;
    this.capture = cap !== undefined ? () => cap.call(env) : defaultCapture;
  }

  /** The current slow path's stack, captured on first use. */
  frames(): string[] {
    if (this.#frames === null) this.#frames = this.capture();
    return this.#frames;
  }

  /** A new slow path begins: the next frames() captures again. */
  reset(): void {
    this.#frames = null;
  }
}
