import { describe, expect, it } from 'vitest';
import { createRng, mixSeed, permutation } from '../src/index.js';

describe('rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xa);
    for (const x of xa) expect(x >= 0 && x < 1).toBe(true);
  });

  it('draws plausible uniforms, ints and normals', () => {
    const r = createRng(1);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    const counts = new Array(4).fill(0);
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      sum += z;
      sq += z * z;
      counts[r.int(4)]++;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.05);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.05);
    for (const c of counts) expect(Math.abs(c / n - 0.25)).toBeLessThan(0.02);
  });

  it('mixSeed depends on every part and its order', () => {
    expect(mixSeed(1, 2, 3)).toBe(mixSeed(1, 2, 3));
    expect(mixSeed(1, 2, 3)).not.toBe(mixSeed(1, 3, 2));
    expect(mixSeed(0, 0)).not.toBe(mixSeed(0, 1));
  });

  it('permutation is a seeded permutation', () => {
    const p = permutation(100, createRng(7));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...permutation(100, createRng(7))]).toEqual([...p]);
    expect([...permutation(100, createRng(8))]).not.toEqual([...p]);
  });
});
