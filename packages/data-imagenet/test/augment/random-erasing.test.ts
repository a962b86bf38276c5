import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRng, randomErasingInPlace, type RandomErasingMode, type RandomErasingOptions } from '../../src/index.js';
import { replayRng, type Draw } from './replay-rng.js';

interface EraseCase {
  opts: { probability: number; mode: RandomErasingMode; min_count?: number; max_count?: number; min_area?: number; max_area?: number };
  draws: Draw[];
  image: number[];
  out: number[];
}
const fix = JSON.parse(readFileSync(new URL('../fixtures/aug-fixtures.json', import.meta.url), 'utf8')).erasing as {
  height: number; width: number; cases: EraseCase[];
};

const toOptions = (o: EraseCase['opts']): RandomErasingOptions => ({
  prob: o.probability,
  mode: o.mode,
  minCount: o.min_count,
  maxCount: o.max_count,
  minArea: o.min_area,
  maxArea: o.max_area,
});

describe("random erasing against timm's RandomErasing", () => {
  for (const c of fix.cases) {
    it(`${JSON.stringify(c.opts)}: same boxes and fill from timm's draws, every draw consumed`, () => {
      const img = Float32Array.from(c.image);
      const rng = replayRng(c.draws);
      randomErasingInPlace(img, fix.height, fix.width, toOptions(c.opts), rng);
      expect(rng.remaining()).toBe(0);
      // Values are copied, never computed: exact.
      expect(Array.from(img)).toEqual(Array.from(Float32Array.from(c.out)));
    });
  }

  it('erases a box of the requested area range on a 64×64 image and rejects a bad prob', () => {
    const img = new Float32Array(64 * 64 * 3).fill(5);
    randomErasingInPlace(img, 64, 64, { prob: 1, mode: 'const' }, createRng(1));
    const zeros = img.filter((v) => v === 0).length / 3;
    expect(zeros).toBeGreaterThanOrEqual(0.015 * 64 * 64);
    expect(zeros).toBeLessThanOrEqual(0.36 * 64 * 64);
    expect(() => randomErasingInPlace(img, 64, 64, { prob: 1.5 }, createRng(1))).toThrow(/prob must be in \[0, 1\]/);
  });
});
