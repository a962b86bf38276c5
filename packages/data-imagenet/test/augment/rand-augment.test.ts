import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRandAugment, randAugment } from '../../src/augment/rand-augment.js';
import type { RgbImage } from '../../src/index.js';
import { replayRng, type Draw } from './replay-rng.js';

interface Policy { config: string; ops: string[]; magnitude: number; numLayers: number; prob: number; mstd: number | 'inf'; runs: { draws: Draw[]; out: number[] }[] }
const fix = JSON.parse(readFileSync(new URL('../fixtures/aug-fixtures.json', import.meta.url), 'utf8')).randaugment as {
  width: number; height: number; fill: number[]; image: number[]; policies: Policy[];
};
const img: RgbImage = { data: Uint8Array.from(fix.image), width: fix.width, height: fix.height };

describe("RandAugment policies against timm's rand_augment_transform", () => {
  for (const p of fix.policies) {
    it(`'${p.config}' parses as timm's and 6 applications equal timm's images from its draws`, () => {
      const policy = parseRandAugment(p.config);
      expect(policy).toMatchObject({ ops: p.ops, magnitude: p.magnitude, numLayers: p.numLayers, prob: p.prob, magnitudeStd: p.mstd === 'inf' ? Infinity : p.mstd });
      for (const run of p.runs) {
        const rng = replayRng(run.draws);
        const out = randAugment(img, policy, rng, { interpolation: 'bilinear', fill: fix.fill });
        expect(rng.remaining()).toBe(0);
        let diff = 0;
        for (let i = 0; i < run.out.length; i++) diff = Math.max(diff, Math.abs(out.data[i] - run.out[i]));
        expect(diff).toBe(0);
      }
    });
  }

  it("MindCV's 'randaug-m7-mstd0.5-inc1' is timm's grammar; bad strings name the section", () => {
    expect(parseRandAugment('randaug-m7-mstd0.5-inc1')).toEqual(parseRandAugment('rand-m7-mstd0.5-inc1'));
    expect(() => parseRandAugment('augmix-m5')).toThrow(/expected 'rand-/);
    expect(() => parseRandAugment('rand-q5')).toThrow(/unknown section 'q'/);
    expect(() => parseRandAugment('rand-mx')).toThrow(/cannot read section 'mx'/);
  });
});
