/**
 * A small seeded pseudo-random generator, so every resampling in the evaluation is reproducible:
 * mulberry32 (Tommy Ettinger's 32-bit generator, public domain; period 2^32), enough for bootstrap
 * and random-entry baselines. Pure: the state is one 32-bit integer.
 */

/** Deterministic uniform random numbers from a 32-bit seed. */
export class SeededRandom {
  #state: number;

  /** A generator seeded with `seed` (any finite number; only its low 32 bits count). */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    this.#state = seed >>> 0;
  }

  /** The next number, uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let r = Math.imul(this.#state ^ (this.#state >>> 15), 1 | this.#state);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer uniform in [0, n) for a positive integer n ≤ 2^32. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/**
 * A seed derived from a base seed and a label (FNV-1a over the label's UTF-16 code units, mixed
 * with the base), so each dataset gets its own stream that does not change when others are added.
 */
export function deriveSeed(base: number, label: string): number {
  let h = (0x811c9dc5 ^ (base >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
