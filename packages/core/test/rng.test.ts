import { describe, expect, it } from 'vitest';
import { createRng, mixSeed, permutation, SeededRng } from '../src/utils/rng.js';

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

  it('keeps the streams @hrnet/data-coco has always drawn (its synthetic datasets depend on them)', () => {
    // Values of data-coco's original sfc32 + mixSeed, before the generator moved here.
    const r = createRng(0);
    expect([r.next(), r.next(), r.next()]).toEqual([0.1398758797440678, 0.4412992116995156, 0.6813401335384697]);
    expect([mixSeed(1, 2, 3), mixSeed(0), mixSeed(-1, 2 ** 33)]).toEqual([3978951246, 3895336462, 878832811]);
    expect(Array.from(permutation(10, createRng(3)))).toEqual([0, 8, 2, 6, 7, 9, 1, 5, 3, 4]);
    const q = createRng(42);
    expect(Array.from({ length: 8 }, () => q.int(1000))).toEqual([556, 990, 406, 281, 983, 191, 581, 526]);
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
    expect(mixSeed(2 ** 32)).not.toBe(mixSeed(0));
  });

  it('permutation is a seeded permutation', () => {
    const p = permutation(100, createRng(7));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...permutation(100, createRng(7))]).toEqual([...p]);
    expect([...permutation(100, createRng(8))]).not.toEqual([...p]);
  });

  it('getState / setState save and restore the stream exactly (JSON round trip)', () => {
    const a = new SeededRng(5);
    for (let i = 0; i < 1000; i++) a.normal();
    const state = a.getState();
    expect(state).toHaveLength(4);
    for (const w of state) expect(Number.isInteger(w) && w >= 0 && w <= 0xffffffff).toBe(true);
    const b = new SeededRng(999);
    b.setState(JSON.parse(JSON.stringify(state)) as number[]);
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(Array.from({ length: 100 }, () => a.next()));
    expect(b.getState()).toEqual(a.getState());
    expect(() => b.setState([1, 2, 3])).toThrow(/bad state/);
    expect(() => b.setState([1, 2, 3, 2 ** 32])).toThrow(/bad state/);
    expect(() => b.setState([1, 2, 3, 0.5])).toThrow(/bad state/);
    expect(SeededRng.isState([0, 0, 0, 0])).toBe(true);
    expect(SeededRng.isState(7)).toBe(false);
  });
});
