import { createRng } from '@hrnet/core';
import { describe, expect, it } from 'vitest';
import { CITYSCAPES_MEAN, CITYSCAPES_STD, resizeBilinearU8, resizeNearestLabels, trainAugment, type RgbImage } from '../src/index.js';

/** An image whose pixel (y, x) encodes its coordinates: R = y, G = x, B = 7; labels (y + x) % 19. */
function coordImage(h: number, w: number): { image: RgbImage; label: Uint8Array } {
  const data = new Uint8Array(h * w * 3);
  const label = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      data.set([y, x, 7], (y * w + x) * 3);
      label[y * w + x] = (y + x) % 19;
    }
  }
  return { image: { data, height: h, width: w }, label };
}

const denorm = (v: number, c: number) => Math.round((v * CITYSCAPES_STD[c] + CITYSCAPES_MEAN[c]) * 255) + 0;

describe('resizes as cv2', () => {
  it('INTER_NEAREST labels read floor(dst · in / out); INTER_LINEAR uses half-pixel centres with edge clamp', () => {
    const lab = Uint8Array.from({ length: 4 * 6 }, (_, i) => i);
    // 4x6 → 3x4: rows floor(0, 4/3, 8/3) = 0, 1, 2; cols floor(0, 1.5, 3, 4.5) = 0, 1, 3, 4.
    expect(Array.from(resizeNearestLabels(lab, 4, 6, 3, 4))).toEqual([0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16]);
    const img: RgbImage = { data: Uint8Array.from([0, 0, 0, 100, 100, 100]), height: 1, width: 2 };
    // 1x2 → 1x4: source x = max(0, (o + 0.5) / 2 − 0.5) = 0, 0.25, 0.75, 1.25 (clamped to the last pixel).
    expect(Array.from(resizeBilinearU8(img, 1, 4).data.filter((_, i) => i % 3 === 0))).toEqual([0, 25, 75, 100]);
  });
});

describe('trainAugment (BaseDataset.gen_sample)', () => {
  it('crops, pads with 0 / ignore at the bottom-right, flips image and labels together, reproducibly', () => {
    const { image, label } = coordImage(20, 30);
    const opts = { crop: [24, 16] as [number, number], baseSize: 30, multiScale: false };
    const offsets = new Set<number>();
    const flips = new Set<boolean>();
    for (let seed = 0; seed < 200; seed++) {
      const s = trainAugment(image, label, opts, createRng(seed));
      offsets.add(Math.min(denorm(s.image[1], 1), denorm(s.image[15 * 3 + 1], 1)));
      flips.add(denorm(s.image[1], 1) > denorm(s.image[15 * 3 + 1], 1));
      if (seed >= 20) continue;
      const again = trainAugment(image, label, opts, createRng(seed));
      expect(again.image).toEqual(s.image);
      expect([s.height, s.width]).toEqual([24, 16]);
      // Rows 20..23 are padding (image height 20 < crop 24, crop y must be 0): image 0 → −mean/std, label 255.
      for (let x = 0; x < 16; x++) {
        expect(s.label[23 * 16 + x]).toBe(255);
        expect(denorm(s.image[(23 * 16 + x) * 3], 0)).toBe(0);
      }
      // Every kept pixel still pairs its image coordinates with its label.
      for (let y = 0; y < 20; y++) {
        for (let x = 0; x < 16; x++) {
          const o = y * 16 + x;
          const [ry, gx] = [denorm(s.image[o * 3], 0), denorm(s.image[o * 3 + 1], 1)];
          expect(ry).toBe(y);
          expect(s.label[o]).toBe((ry + gx) % 19);
        }
      }
    }
    // Crop x offsets 0…14 (randint bounds inclusive) and both flips occur.
    expect([...offsets].sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(flips.size).toBe(2);
  });

  it('random scale 0.5 + k/10 of the base size, k = 0…scaleFactor', () => {
    const { image, label } = coordImage(20, 40);
    const widths = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      // A crop larger than any scaled image: the scaled width is where the padding starts.
      const s = trainAugment(image, label, { crop: [64, 128], baseSize: 40, scaleFactor: 16, flip: false }, createRng(seed));
      let w = 0;
      while (w < 128 && s.label[w] !== 255) w++;
      widths.add(w);
    }
    // long side int(40 · (0.5 + k/10) + 0.5), k = 0..16 → 20, 24, …, 84.
    expect([...widths].sort((a, b) => a - b)).toEqual(Array.from({ length: 17 }, (_, k) => Math.trunc(40 * (0.5 + k / 10) + 0.5)));
  });
});
