import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hrnet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeMultiScalePoses, estimatePoses, poseDecodeMeta, type Planes } from '../src/index.js';
import { invertAffine } from '@hrnet/core';
import { aggregateResults, emptyAggregate, finishAggregation } from '../src/higher-hrnet/aggregate-results.js';
import { ceil64, getMultiScaleSize } from '../src/higher-hrnet/multi-scale-size.js';
import { getMultiStageOutputs } from '../src/higher-hrnet/multi-stage-outputs.js';
import { warpAffineBilinear } from '../src/higher-hrnet/resize-align.js';
import { applyAffine, getAffineTransform } from '@hrnet/core';
import { resizeBilinear } from '../src/pose-common/interpolate-bilinear.js';
import { makePlanes } from '../src/pose-common/planes.js';
import { maxAbsDiff } from './pose-decoding-fixtures.js';

// Reference values: lib/utils/transforms.py of HRNet/HigherHRNet-Human-Pose-Estimation evaluated in Python
// (get_multi_scale_size as is; get_affine_transform with the 6x6 system solved by numpy instead of cv2).
// Rows: [w, h, inputSize, scales, scale, size, center, scaleWH].
const SIZES: Array<[number, number, number, number[], number, [number, number], [number, number], [number, number]]> = [
  [640, 480, 512, [1], 1, [704, 512], [320, 240], [3.3, 2.4]],
  [640, 480, 512, [0.5, 1, 2], 2, [1536, 1024], [320, 240], [3.6, 2.4]],
  [640, 480, 512, [0.5, 1, 2], 1, [768, 512], [320, 240], [3.6, 2.4]],
  [640, 480, 512, [0.5, 1, 2], 0.5, [384, 256], [320, 240], [3.6, 2.4]],
  [640, 480, 512, [0.75, 1.25], 1.25, [853, 640], [320, 240], [3.19875, 2.4]],
  [640, 480, 640, [0.75, 1.25], 1.25, [1173, 853], [320, 240], [3.3003516998827664, 2.4]],
  [480, 640, 512, [1], 1, [512, 704], [240, 320], [2.4, 3.3]],
  [480, 640, 640, [0.75, 1.25], 1.25, [853, 1173], [240, 320], [2.4, 3.3003516998827664]],
  [150, 100, 640, [0.5, 1, 2], 1, [1024, 640], [75, 50], [0.8, 0.5]],
  [333, 500, 512, [1], 1, [512, 768], [167, 250], [1.665, 2.4975]],
  [333, 500, 640, [0.5, 1, 2], 0.5, [320, 512], [167, 250], [1.665, 2.664]],
  [333, 500, 640, [0.75, 1.25], 1.25, [853, 1280], [167, 250], [1.665, 2.4984759671746777]],
  [1000, 257, 512, [1], 1, [2048, 512], [500, 129], [5.14, 1.285]],
  [1000, 257, 640, [1], 1, [2496, 640], [500, 129], [5.0115, 1.285]],
  [1000, 257, 640, [0.75, 1.25], 1.25, [3413, 853], [500, 129], [5.141506447831184, 1.285]],
];

beforeAll(() => initBackend('cpu', { log: () => {} }));

describe('pose decoding: sizes and transforms', () => {
  it('ceil64', () => {
    // (v + 63) // 64 * 64: a ceiling for integers only (64.5 → 64), as in the reference.
    expect([0, 1, 64, 64.5, 127, 128, 341.33, 512].map(ceil64)).toEqual([0, 64, 64, 64, 128, 128, 384, 512]);
  });

  it.each(SIZES)('get_multi_scale_size %ix%i input %i scales %j at %f', (w, h, input, scales, s, size, center, scale) => {
    const r = getMultiScaleSize(w, h, input, s, Math.min(...scales));
    expect(r.size).toEqual(size);
    expect(r.center).toEqual(center);
    expect(maxAbsDiff(r.scale, scale)).toBeLessThan(1e-12);
  });

  it('poseDecodeMeta: base size at scale 1, box scale of the smallest scale', () => {
    expect(poseDecodeMeta(150, 100, 640, [2, 1, 0.5])).toEqual({ center: [75, 50], scale: [0.8, 0.5], baseSize: [1024, 640] });
  });

  it('get_affine_transform with rotation and shift, and its inverse', () => {
    const fwd = getAffineTransform([123, 77], [1.7, 2.3], 30, [256, 192], { shift: [0.1, -0.05] });
    const inv = getAffineTransform([123, 77], [1.7, 2.3], 30, [256, 192], { shift: [0.1, -0.05], inverse: true });
    expect(maxAbsDiff(fwd, [0.652066184574795, 0.37647058511054216, 5.296197425787884, -0.37647058511054227, 0.652066184574795, 119.8943078953162])).toBeLessThan(1e-9);
    expect(maxAbsDiff(inv, [1.150189995765686, -0.6640625, 73.52568054199219, 0.6640625, 1.150189995765686, -141.41823959350586])).toBeLessThan(1e-9);
    expect(maxAbsDiff(invertAffine(fwd), inv)).toBeLessThan(1e-6);
    const [x, y] = applyAffine(fwd, 10, 20);
    expect(maxAbsDiff(applyAffine(inv, x, y), [10, 20])).toBeLessThan(1e-4);
  });
});

describe('pose decoding: warpAffine (cv2 INTER_LINEAR, BORDER_CONSTANT 0)', () => {
  const img = { data: Uint8Array.from([10, 20, 30, 40, 50, 60]), width: 3, height: 2, channels: 1 };

  it('identity copies the image', () => {
    expect(Array.from(warpAffineBilinear(img, [1, 0, 0, 0, 1, 0], 3, 2).data)).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('half-pixel shift: integer weights, rounding half up, zeros from outside', () => {
    // dst(x, y) = src(x + 0.5, y): (10+20)/2 = 15, (20+30)/2 = 25, (30+0)/2 = 15 (right neighbour outside).
    expect(Array.from(warpAffineBilinear(img, [1, 0, -0.5, 0, 1, 0], 3, 2).data)).toEqual([15, 25, 15, 45, 55, 30]);
    // dst(x, y) = src(x - 0.25, y): 0.25 * left + 0.75 * right; x = 0 mixes in the outside 0: 7.5 → 8.
    expect(Array.from(warpAffineBilinear(img, [1, 0, 0.25, 0, 1, 0], 3, 2).data)).toEqual([8, 18, 28, 30, 48, 58]);
    // Completely outside: 0.
    expect(Array.from(warpAffineBilinear(img, [1, 0, 10, 0, 1, 0], 3, 2).data)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

// Synthetic two-output network maps (y0: 34 channels at 1/4, y1: 17 at 1/2 of the input) for a scale.
function fakeOutputs(inputW: number, inputH: number, seed: number): Planes[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const mk = (c: number, h: number, w: number) => makePlanes(c, h, w, Float32Array.from({ length: c * h * w }, rnd));
  return [mk(34, inputH / 4, inputW / 4), mk(17, inputH / 2, inputW / 2)];
}

describe('pose decoding: multi-scale aggregation', () => {
  const base: [number, number] = [48, 32]; // [w, h] at scale 1
  const scales = [2, 1, 0.5];
  const passes = scales.map((s, i) => ({
    scale: s,
    outputs: fakeOutputs(base[0] * s, base[1] * s, 10 + i),
    flippedOutputs: fakeOutputs(base[0] * s, base[1] * s, 20 + i),
  }));

  it('heatmaps: mean over scales of the flip-averaged projected maps; tags only at scale 1', () => {
    const state = emptyAggregate();
    const perScale = passes.map((p) => getMultiStageOutputs(p.outputs, p.flippedOutputs, { projectTo: base }));
    perScale.forEach((ms, i) => aggregateResults(state, scales[i]!, scales.length, ms.heatmaps, ms.tags, true));
    const agg = finishAggregation(state, scales.length);
    expect([agg.heatmaps.channels, agg.heatmaps.height, agg.heatmaps.width]).toEqual([17, 32, 48]);
    expect([agg.tagChannels, agg.tagDims]).toEqual([17, 2]);
    expect(agg.tags.length).toBe(17 * 32 * 48 * 2);

    // Independent recomputation of one scale's maps: upsample y0 to y1's size, average heatmaps, flip back
    // (mirror + joint permutation) for the second pass, project, then average.
    const flipIdx = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15];
    const pass = (outs: Planes[], mirrored: boolean) => {
      const [y0, y1] = outs as [Planes, Planes];
      const up = resizeBilinear(y0, y1.height, y1.width);
      const hw = y1.height * y1.width;
      const hm = new Float32Array(17 * hw);
      const tg = new Float32Array(17 * hw);
      for (let j = 0; j < 17; j++) {
        const src = mirrored ? flipIdx[j]! : j;
        for (let y = 0; y < y1.height; y++) {
          for (let x = 0; x < y1.width; x++) {
            const sx = mirrored ? y1.width - 1 - x : x;
            const q = y * y1.width + sx;
            hm[j * hw + y * y1.width + x] = (up.data[src * hw + q]! + y1.data[src * hw + q]!) / 2;
            tg[j * hw + y * y1.width + x] = up.data[(17 + src) * hw + q]!;
          }
        }
      }
      return {
        hm: resizeBilinear(makePlanes(17, y1.height, y1.width, hm), base[1], base[0]).data,
        tg: resizeBilinear(makePlanes(17, y1.height, y1.width, tg), base[1], base[0]).data,
      };
    };
    const expectedHm = new Float32Array(17 * 32 * 48);
    let tagsAtOne: Float32Array[] = [];
    passes.forEach((p) => {
      const a = pass(p.outputs, false);
      const b = pass(p.flippedOutputs, true);
      for (let k = 0; k < expectedHm.length; k++) expectedHm[k] += (a.hm[k]! + b.hm[k]!) / 2 / scales.length;
      if (p.scale === 1) tagsAtOne = [a.tg, b.tg];
    });
    expect(maxAbsDiff(agg.heatmaps.data, expectedHm)).toBeLessThan(1e-6);
    const interleaved = new Float32Array(agg.tags.length);
    for (let k = 0; k < expectedHm.length; k++) {
      interleaved[2 * k] = tagsAtOne[0]![k]!;
      interleaved[2 * k + 1] = tagsAtOne[1]![k]!;
    }
    expect(maxAbsDiff(agg.tags, interleaved)).toBe(0);
  });

  it('a single scale other than 1 still collects its tags; no flip gives T = 1', () => {
    const p = passes[0]!;
    const ms = getMultiStageOutputs(p.outputs, undefined, { projectTo: base });
    const agg = finishAggregation(aggregateResults(emptyAggregate(), 2, 1, ms.heatmaps, ms.tags, false), 1);
    expect(agg.tagDims).toBe(1);
    expect(Array.from(agg.heatmaps.data)).toEqual(Array.from(ms.heatmaps[0]!.data));
    // Several scales without 1: no tags, as in the reference (torch.cat of an empty list fails).
    const s = emptyAggregate();
    aggregateResults(s, 2, 2, ms.heatmaps, ms.tags, false);
    aggregateResults(s, 0.5, 2, ms.heatmaps, ms.tags, false);
    expect(() => finishAggregation(s, 2)).toThrow(/tag/);
  });

  it('decodeMultiScalePoses processes scales largest first and decodes', async () => {
    const dec = await decodeMultiScalePoses([...passes].reverse(), { center: [24, 16], scale: [0.24, 0.16], baseSize: base });
    expect(dec.poses.length).toBe(dec.scores.length);
    expect(dec.people.every((p) => p.length === 17 * 5)).toBe(true);
  });

  it('estimatePoses: input sizes per scale (largest first, plain then mirrored) and no tensor growth', async () => {
    const seen: string[] = [];
    // A stand-in network: y0 = 4x4 average of the input tiled to 34 channels, y1 = 2x2 average tiled to 17.
    const model = (x: tf.Tensor4D): tf.Tensor[] => {
      seen.push(`${x.shape[2]}x${x.shape[1]}`);
      const g = tf.mean(x, 3, true) as tf.Tensor4D;
      return [tf.tile(tf.avgPool(g, 4, 4, 'valid'), [1, 1, 1, 34]), tf.tile(tf.avgPool(g, 2, 2, 'valid'), [1, 1, 1, 17])];
    };
    const w = 150;
    const h = 100;
    const image = { data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 251), width: w, height: h };
    const before = tf.memory().numTensors;
    const poses = await estimatePoses(model, image, { inputSize: 128, scales: [0.5, 1, 2] });
    expect(tf.memory().numTensors).toBe(before);
    expect(seen).toEqual(['512x256', '512x256', '256x128', '256x128', '128x64', '128x64']);
    for (const p of poses) expect(p.keypoints.length).toBe(17);
  });
});
