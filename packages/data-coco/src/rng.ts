/**
 * Seeded randomness for the training pipeline. Every random choice (affine draws, flips, shuffles,
 * synthetic images) comes from an `Rng`, so a run is reproducible from its seed, and a sample's
 * augmentation depends only on (seed, epoch, index), not on which worker made it.
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

/** A small-state PRNG (sfc32) seeded through `mixSeed`. */
export function createRng(seed: number): Rng {
  let a = mixSeed(seed, 1);
  let b = mixSeed(seed, 2);
  let c = mixSeed(seed, 3);
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return {
    next,
    int: (n) => Math.floor(next() * n),
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    normal: () => {
      const u = 1 - next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
  };
}

/** A seeded Fisher-Yates permutation of 0..n-1. */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
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
