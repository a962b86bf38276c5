import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeRleString,
  encodeRleString,
  ignoreRegionMask,
  maskToRle,
  polygonArea,
  polygonToMask,
  polygonsToMask,
  rleArea,
  rleToMask,
  segmentationArea,
  segmentationToMask,
  validPixelMask,
} from '../src/index.js';

interface Cases {
  polygons: { name: string; h: number; w: number; poly: number[]; counts: number[] }[];
  strings: { counts: number[]; string: string }[];
}
const cases: Cases = JSON.parse(readFileSync(new URL('./fixtures/pycocotools-masks.json', import.meta.url), 'utf8'));

/** Row-major mask from column-major run lengths. */
function maskFromCounts(counts: number[], h: number, w: number): number[] {
  const m = new Array<number>(h * w).fill(0);
  let pos = 0;
  counts.forEach((c, i) => {
    for (let j = pos; j < pos + c; j++) if (i % 2) m[(j % h) * w + Math.floor(j / h)] = 1;
    pos += c;
  });
  return m;
}

describe('polygon rasterisation equals pycocotools frPyObjects + decode', () => {
  for (const c of cases.polygons) {
    it(`${c.name} (${c.h}x${c.w})`, () => {
      const got = polygonToMask(c.poly, c.h, c.w);
      expect(Array.from(got)).toEqual(maskFromCounts(c.counts, c.h, c.w));
      expect(maskToRle(got, c.h, c.w).counts).toEqual(c.counts);
      expect(polygonArea(c.poly, c.h, c.w)).toBe(rleArea({ size: [c.h, c.w], counts: c.counts }));
    });
  }

  it('integer rectangle covers [x0, x1) x [y0, y1)', () => {
    const m = polygonToMask([2, 3, 2, 9, 11, 9, 11, 3], 12, 16);
    for (let y = 0; y < 12; y++) for (let x = 0; x < 16; x++) expect(m[y * 16 + x]).toBe(x >= 2 && x < 11 && y >= 3 && y < 9 ? 1 : 0);
  });

  it('several polygons are united', () => {
    const a = [1, 1, 1, 4, 4, 4, 4, 1];
    const b = [3, 3, 3, 7, 7, 7, 7, 3];
    const u = polygonsToMask([a, b], 8, 8);
    const ma = polygonToMask(a, 8, 8);
    const mb = polygonToMask(b, 8, 8);
    expect(Array.from(u)).toEqual(Array.from(ma, (v, i) => v | mb[i]));
  });
});

describe('compressed RLE strings (pycocotools rleToString / rleFrString)', () => {
  for (const [i, s] of cases.strings.entries()) {
    it(`case ${i}: ${s.counts.length} runs`, () => {
      expect(encodeRleString(s.counts)).toBe(s.string);
      expect(Array.from(decodeRleString(s.string))).toEqual(s.counts);
    });
  }

  it('rejects characters outside the alphabet and truncated numbers', () => {
    expect(() => decodeRleString('a b')).toThrow(/outside/);
    expect(() => decodeRleString('0`')).toThrow(/ends inside/);
  });
});

describe('RLE masks', () => {
  it('decodes column-major runs into a row-major mask', () => {
    // column-major [0, 1 | 1, 0 | 0, 0] for h=2, w=3
    expect(Array.from(rleToMask({ size: [2, 3], counts: [1, 2, 3] }))).toEqual([0, 1, 0, 1, 0, 0]);
  });

  it('round-trips masks through uncompressed and compressed counts', () => {
    const h = 7;
    const w = 9;
    const mask = new Uint8Array(h * w).map((_, i) => ((i * 7919) % 5 < 2 ? 1 : 0));
    const rle = maskToRle(mask, h, w);
    expect(Array.from(rleToMask(rle))).toEqual(Array.from(mask));
    const compressed = { size: rle.size, counts: encodeRleString(rle.counts) };
    expect(Array.from(rleToMask(compressed))).toEqual(Array.from(mask));
    expect(rleArea(compressed)).toBe(mask.reduce((a, b) => a + b, 0));
  });

  it('rejects runs that do not cover the image exactly', () => {
    expect(() => rleToMask({ size: [2, 2], counts: [1, 2] })).toThrow(/cover 3 pixels/);
    expect(() => rleToMask({ size: [2, 2], counts: [1, 2, 3] })).toThrow(/cover 6 pixels/);
    expect(() => rleToMask({ size: [2, 2], counts: [1, -1, 4] })).toThrow(/non-negative/);
  });
});

describe('segmentations and the ignore mask', () => {
  const h = 10;
  const w = 12;

  it('dispatches like frPyObjects: polygons, boxes (4 numbers), RLE of either form', () => {
    const poly = [[1, 1, 1, 5, 6, 5, 6, 1]];
    expect(Array.from(segmentationToMask(poly, h, w))).toEqual(Array.from(polygonToMask(poly[0], h, w)));
    // A first entry of exactly 4 numbers makes pycocotools read boxes [x, y, w, h].
    expect(Array.from(segmentationToMask([[1, 1, 5, 4]], h, w))).toEqual(Array.from(polygonToMask(poly[0], h, w)));
    const rle = maskToRle(polygonToMask(poly[0], h, w), h, w);
    expect(Array.from(segmentationToMask(rle, h, w))).toEqual(Array.from(polygonToMask(poly[0], h, w)));
    expect(Array.from(segmentationToMask({ size: rle.size, counts: encodeRleString(rle.counts) }, h, w))).toEqual(
      Array.from(polygonToMask(poly[0], h, w)),
    );
    expect(segmentationToMask([], h, w).every((v) => v === 0)).toBe(true);
    expect(() => segmentationToMask({ size: [h + 1, w], counts: [(h + 1) * w] }, h, w)).toThrow(/differs from the image size/);
  });

  it('area: polygons add up (overlaps twice, as COCO), RLE counts once', () => {
    const a = [0, 0, 0, 4, 4, 4, 4, 0];
    expect(segmentationArea([a], h, w)).toBe(16);
    expect(segmentationArea([a, a], h, w)).toBe(32);
    expect(segmentationArea(maskToRle(polygonToMask(a, h, w), h, w), h, w)).toBe(16);
  });

  it('ignores crowd regions and non-crowd people without keypoints, nothing else', () => {
    const crowdRle = maskToRle(polygonToMask([0, 0, 0, 3, 3, 3, 3, 0], h, w), h, w);
    const anns = [
      { iscrowd: 1 as const, num_keypoints: 0, segmentation: crowdRle },
      { iscrowd: 1 as const, num_keypoints: 4, segmentation: [[9, 0, 9, 2, 12, 2, 12, 0]] },
      { iscrowd: 0 as const, num_keypoints: 0, segmentation: [[4, 6, 4, 9, 7, 9, 7, 6]] },
      { iscrowd: 0 as const, num_keypoints: 3, segmentation: [[0, 5, 0, 10, 3, 10, 3, 5]] },
      { iscrowd: 0 as const, num_keypoints: 0 },
    ];
    const ignore = ignoreRegionMask(anns, h, w);
    const expected = new Uint8Array(h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const inCrowd = x < 3 && y < 3;
        const inCrowd2 = x >= 9 && y < 2;
        const inNoKp = x >= 4 && x < 7 && y >= 6 && y < 9;
        expected[y * w + x] = inCrowd || inCrowd2 || inNoKp ? 1 : 0;
      }
    }
    expect(Array.from(ignore)).toEqual(Array.from(expected));
    expect(Array.from(validPixelMask(anns, h, w))).toEqual(Array.from(expected, (v) => 1 - v));
  });
});
