/**
 * Seeded randomness shared by the data pipelines and the trainer. Every random choice (augmentation
 * draws, flips, shuffles, synthetic images, a task's own draws during training) comes from an `Rng`,
 * so a run is reproducible from its seed, and e.g. a sample's augmentation can depend only on
 * (seed, epoch, index) via `createRng(mixSeed(seed, epoch, index))`, not on which worker made it.
 *
 * The generator is sfc32 (four 32-bit words, one of them a counter) seeded through `mixSeed`; its
 * whole state can be saved and restored exactly (`getState` / `setState`), as checkpoints need.
 * The streams are those @hrnet/data-coco has always drawn (its synthetic datasets depend on them).
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
}

/** Hashes integers into one 32-bit seed (order matters), e.g. `mixSeed(seed, epoch, index)`. */
export function mixSeed(...parts: number[]): number {
  let h = 0x2545f491;
  for (const p of parts) {
    // Split doubles into two 32-bit halves so that large or negative integers still mix fully.
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    for (const word of [lo, hi]) {
      h = Math.imul(h ^ word, 0xcc9e2d51);
      h = (h << 15) | (h >>> 17);
      h = Math.imul(h, 0x1b873593);
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
    }
  }
  return h >>> 0;
}

/** sfc32 seeded through {@link mixSeed}, with its 4-word state readable and restorable. */
export class SeededRng implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed = 0) {
    this.a = mixSeed(seed, 1);
    this.b = mixSeed(seed, 2);
    this.c = mixSeed(seed, 3);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box-Muller, two draws per value). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** The whole state: the four sfc32 words `[a, b, c, d]` as unsigned 32-bit integers (JSON-safe). */
  getState(): number[] {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }

  /** Restores a state from {@link getState}: the stream continues exactly where it was saved. */
  setState(state: readonly number[]): void {
    if (!SeededRng.isState(state)) throw new Error(`SeededRng: bad state ${JSON.stringify(state)} (expected 4 unsigned 32-bit integers)`);
    this.a = state[0] | 0;
    this.b = state[1] | 0;
    this.c = state[2] | 0;
    this.d = state[3] | 0;
  }

  /** Whether `state` has the shape {@link getState} returns (4 integers in 0..2^32-1). */
  static isState(state: unknown): state is number[] {
    return Array.isArray(state) && state.length === 4 && state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff);
  }
}

/** A seeded generator (a {@link SeededRng}); `createRng(mixSeed(seed, epoch, index))` for per-sample streams. */
export function createRng(seed: number): SeededRng {
  return new SeededRng(seed);
}

/** A seeded Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
