/**
 * A seeded generator (mulberry32) whose whole state is one 32-bit integer, so checkpoints can save and
 * restore it exactly. The Trainer owns one (`trainer.rng`) for tasks that draw random numbers during
 * training; resuming restores it.
 */
export class SeededRng {
  private state: number;

  constructor(seed = 0) {
    this.state = SeededRng.hash(seed);
  }

  /** Mixes an integer seed into a well-spread 32-bit state. */
  static hash(seed: number): number {
    let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  getState(): number {
    return this.state;
  }

  setState(state: number): void {
    if (!Number.isInteger(state) || state < 0 || state > 0xffffffff) throw new Error(`SeededRng: bad state ${state}`);
    this.state = state;
  }
}
