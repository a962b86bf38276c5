import { describe, expect, it } from 'vitest';
import { munkres } from '../src/higher-hrnet/hungarian.js';

// Expected pairs were produced with the Python `munkres` package 1.1.4 (Munkres().compute), which
// HigherHRNet's grouping calls. The tie cases were chosen because two plausible variants of the same
// algorithm disagree with the package on them: stopping step 4's zero search at the *first* zero of a row
// (the package keeps the last one), or restarting that search at (0, 0) after every prime (the package
// resumes at the primed row and the star's column). The pipeline test checks the same behaviour on the 14
// tie-heavy calls of a real parse.
const E10 = 1e10;
const PACKAGE_CASES: Array<{ name: string; cost: number[][]; pairs: Array<[number, number]> }> = [
  { name: 'all zero 2x2', cost: [[0, 0], [0, 0]], pairs: [[0, 0], [1, 1]] },
  { name: 'constant 3x3', cost: [[5, 5, 5], [5, 5, 5], [5, 5, 5]], pairs: [[0, 0], [1, 1], [2, 2]] },
  { name: 'wide, constant', cost: [[1, 1, 1], [1, 1, 1]], pairs: [[0, 0], [1, 1]] },
  // Tall: padded with a zero column; row 0 is the one left on the padding.
  { name: 'tall, constant', cost: [[1, 1], [1, 1], [1, 1]], pairs: [[1, 1], [2, 0]] },
  { name: 'two people, same tag distance', cost: [[-0.8, -0.8, 99.2], [-0.6, -0.6, 99.4]], pairs: [[0, 0], [1, 1]] },
  { name: 'unique optimum 3x3', cost: [[4, 1, 3], [2, 0, 5], [3, 2, 2]], pairs: [[0, 1], [1, 0], [2, 2]] },
  { name: 'unique optimum 3x4 (package docs)', cost: [[10, 10, 8, 11], [9, 8, 1, 1], [9, 7, 4, 10]], pairs: [[0, 1], [1, 3], [2, 2]] },
  {
    name: 'grouping-like, first-zero variant differs',
    cost: [[-0.5, 99.5, -0.5, E10], [-0.25, -0.25, -0.25, E10], [199.75, 199.75, 99.75, E10], [199.75, 199.75, 99.75, E10]],
    pairs: [[0, 0], [1, 1], [2, 2], [3, 3]],
  },
  {
    name: 'integer ties, both variants differ',
    cost: [[0, 2, 0], [0, 2, 1], [2, 1, 1], [2, 1, 1]],
    pairs: [[0, 2], [1, 0], [3, 1]],
  },
  {
    name: 'grouping-like with padding columns, both variants differ',
    cost: [[-0.25, -0.25, E10, E10], [-0.75, -0.75, E10, E10], [-0.75, -0.75, E10, E10], [199.25, -0.75, E10, E10]],
    pairs: [[0, 2], [1, 1], [2, 0], [3, 3]],
  },
  { name: 'integer ties, first-zero variant differs', cost: [[1, 2, 2], [0, 2, 0], [1, 2, 2]], pairs: [[0, 0], [1, 2], [2, 1]] },
  {
    name: 'grouping-like, restart variant differs',
    cost: [[-0.75, 99.25, E10, E10], [99.25, -0.75, E10, E10], [-0.5, 99.5, E10, E10], [199.5, -0.5, E10, E10]],
    pairs: [[0, 0], [1, 1], [2, 3], [3, 2]],
  },
  { name: 'tall integer ties, restart variant differs', cost: [[0, 0, 0], [1, 1, 2], [2, 2, 2], [1, 1, 1]], pairs: [[0, 2], [1, 1], [3, 0]] },
];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Minimum total cost over all assignments of min(rows, cols) pairs (brute force). */
function bruteForce(cost: number[][]): number {
  const rows = cost.length;
  const cols = cost[0]!.length;
  let best = Infinity;
  const usedCols = new Array<boolean>(cols).fill(false);
  const k = Math.min(rows, cols);
  const rec = (r: number, picked: number, sum: number): void => {
    if (picked === k) {
      best = Math.min(best, sum);
      return;
    }
    if (r === rows) return;
    if (rows - r > k - picked) rec(r + 1, picked, sum); // leave row r unassigned (only when rows > cols)
    for (let c = 0; c < cols; c++) {
      if (usedCols[c]) continue;
      usedCols[c] = true;
      rec(r + 1, picked + 1, sum + cost[r]![c]!);
      usedCols[c] = false;
    }
  };
  rec(0, 0, 0);
  return best;
}

describe('munkres (Hungarian assignment, Python munkres tie-breaking)', () => {
  it.each(PACKAGE_CASES)('$name', ({ cost, pairs }) => {
    const copy = cost.map((r) => r.slice());
    expect(munkres(cost)).toEqual(pairs);
    expect(cost).toEqual(copy); // the caller's matrix is left alone (the package edits it in place)
  });

  it('finds a minimum-cost assignment (random matrices up to 6x6 vs brute force)', () => {
    const rnd = lcg(12345);
    for (let t = 0; t < 300; t++) {
      const rows = 1 + Math.floor(rnd() * 6);
      const cols = 1 + Math.floor(rnd() * 6);
      const cost = Array.from({ length: rows }, () => Array.from({ length: cols }, () => (t % 2 ? Math.floor(rnd() * 4) : rnd() * 10 - 5)));
      const pairs = munkres(cost);
      expect(pairs.length).toBe(Math.min(rows, cols));
      expect(new Set(pairs.map((p) => p[0])).size).toBe(pairs.length);
      expect(new Set(pairs.map((p) => p[1])).size).toBe(pairs.length);
      const total = pairs.reduce((s, [r, c]) => s + cost[r]![c]!, 0);
      expect(total).toBeCloseTo(bruteForce(cost), 9);
    }
  });

  it('handles empty input and rejects NaN', () => {
    expect(munkres([])).toEqual([]);
    expect(munkres([[]])).toEqual([]);
    expect(() => munkres([[0, NaN]])).toThrow(/NaN/);
  });
});
