import * as tf from '@tensorflow/tfjs';
import { initBackend, normalizeImage } from '@hrnet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { estimatePoses, poseDecodeMeta } from '../src/index.js';
import { aggregateResults, emptyAggregate, finishAggregation } from '../src/higher-hrnet/aggregate-results.js';
import { decodeAggregatedMaps } from '../src/higher-hrnet/decode-poses.js';
import { getMultiStageOutputs } from '../src/higher-hrnet/multi-stage-outputs.js';
import { resizeAlignMultiScale } from '../src/higher-hrnet/resize-align.js';
import { getAffineTransform } from '@hrnet/core';
import { PIPELINE_DIR, maxAbsDiff, maxAbsDiffNested, openFixtures, personRows, readU8 } from './pose-decoding-fixtures.js';

// tools/valid.py's single-scale flip-test flow on the 100x150 synthetic image with the tiny random model.
// The fixture pins the numeric stages (resized image, model input, heatmap/tag statistics); its grouping
// (268 people, all 14 Hungarian calls with ties) only reproduces with the munkres package's tie-breaking
// and bit-identical maps, which this implementation has, so the people are compared too.
const fixtures = openFixtures(PIPELINE_DIR);
const m = fixtures.manifest;
const [h, w] = m.image_hw as [number, number];
const image = { data: readU8(`${PIPELINE_DIR}image.bin`), width: w, height: h };
const planes = fixtures.planes;
const report: Record<string, number> = {};

function stats(a: Float32Array) {
  let sum = 0;
  let max = -Infinity;
  let min = Infinity;
  for (const v of a) {
    sum += v;
    max = Math.max(max, v);
    min = Math.min(min, v);
  }
  return { sum, max, min };
}

beforeAll(() => initBackend('cpu', { log: () => {} }));

describe('pose decoding: model_tiny pipeline fixture', () => {
  it('resize_align_multi_scale: centre, scale, transform and the cv2.warpAffine image', () => {
    const r = resizeAlignMultiScale(image, m.input_size, 1, 1);
    expect(r.center).toEqual(m.center);
    expect(r.scale).toEqual(m.scale);
    expect([r.image.width, r.image.height]).toEqual(m.base_size_wh);
    expect(maxAbsDiff(getAffineTransform(r.center, r.scale, 0, m.base_size_wh), m.resize_affine_2x3.flat())).toBeLessThan(1e-12);
    const ref = fixtures.u8('image_resized');
    report.resizedImage = maxAbsDiff(r.image.data, ref);
    expect(report.resizedImage).toBe(0); // the fixture allows ±1; OpenCV's fixed-point bilinear is reproduced exactly
  });

  it('ToTensor + Normalize gives the model input bit for bit', () => {
    const r = resizeAlignMultiScale(image, m.input_size, 1, 1);
    const nhwc = normalizeImage(r.image.data);
    const ref = fixtures.f32('model_input'); // NCHW
    const hw = r.image.width * r.image.height;
    let err = 0;
    for (let c = 0; c < 3; c++) for (let q = 0; q < hw; q++) err = Math.max(err, Math.abs(nhwc[q * 3 + c]! - ref[c * hw + q]!));
    report.modelInput = err;
    expect(err).toBe(0);
  });

  it('multi-stage outputs + flip + projection from the raw outputs: heatmap and tag statistics', () => {
    const ms = getMultiStageOutputs(
      [planes('raw_output_0'), planes('raw_output_1')],
      [planes('raw_output_flipped_input_0'), planes('raw_output_flipped_input_1')],
      { projectTo: m.base_size_wh },
    );
    expect(ms.heatmaps.map((p) => [p.channels, p.height, p.width])).toEqual([[17, 128, 192], [17, 128, 192]]);
    expect(ms.tags.map((p) => [p.channels, p.height, p.width])).toEqual([[17, 128, 192], [17, 128, 192]]);
    const agg = finishAggregation(aggregateResults(emptyAggregate(), 1, 1, ms.heatmaps, ms.tags, true), 1);
    expect([1, agg.heatmaps.channels, agg.heatmaps.height, agg.heatmaps.width]).toEqual(m.final_heatmaps_shape);
    expect([1, agg.tagChannels, agg.heatmaps.height, agg.heatmaps.width, agg.tagDims]).toEqual(m.tags_shape);
    const hs = stats(agg.heatmaps.data);
    const ts = stats(agg.tags);
    report.heatmapSumRel = Math.abs(hs.sum - m.final_heatmaps_stats.sum) / Math.abs(m.final_heatmaps_stats.sum);
    report.tagSumRel = Math.abs(ts.sum - m.tags_stats.sum) / Math.abs(m.tags_stats.sum);
    expect(report.heatmapSumRel).toBeLessThan(1e-9);
    expect(report.tagSumRel).toBeLessThan(1e-9);
    expect([hs.max, hs.min, ts.max, ts.min]).toEqual([m.final_heatmaps_stats.max, m.final_heatmaps_stats.min, m.tags_stats.max, m.tags_stats.min]);

    // The grouping on these junk maps (every Hungarian call has ties) and the image-space result.
    const dec = decodeAggregatedMaps(agg, poseDecodeMeta(w, h, m.input_size, [1]));
    expect(dec.people.length).toBe(m.num_people);
    report.scores = maxAbsDiff(dec.scores, m.scores);
    report.people = maxAbsDiffNested(dec.people.flatMap((p) => personRows(p)), m.final_preds_image_coords.flat());
    expect(report.scores).toBeLessThan(1e-5);
    expect(report.people).toBeLessThan(1e-3);
  });

  it('estimatePoses runs the whole flow (model stand-in replays the raw outputs) without leaking tensors', async () => {
    const input = fixtures.f32('model_input');
    const expected = tf.tidy(() => tf.tensor4d(input, [1, 3, 128, 192]).transpose([0, 2, 3, 1]));
    const mirrored = tf.tidy(() => tf.reverse(expected, 2));
    const outs = [0, 1].map((i) => fixtures.nhwc(`raw_output_${i}`));
    const outsFlipped = [0, 1].map((i) =>
      fixtures.nhwc(`raw_output_flipped_input_${i}`),
    );
    const seen: string[] = [];
    // Returns fresh tensors (as a model would) after checking it got the exact normalised (mirrored) input.
    const model = (x: tf.Tensor4D): tf.Tensor[] => {
      const isPlain = tf.max(tf.abs(tf.sub(x, expected))).dataSync()[0] === 0;
      const isMirror = tf.max(tf.abs(tf.sub(x, mirrored))).dataSync()[0] === 0;
      seen.push(isPlain ? 'plain' : isMirror ? 'mirrored' : 'other');
      return (isMirror ? outsFlipped : outs).map((t) => t.clone());
    };
    try {
      const before = tf.memory().numTensors;
      const poses = await estimatePoses(model, image, { inputSize: m.input_size });
      expect(tf.memory().numTensors).toBe(before);
      expect(seen).toEqual(['plain', 'mirrored']);
      expect(poses.length).toBe(m.num_people);
      const err = maxAbsDiffNested(
        poses.map((p) => p.keypoints.flatMap((k) => [k.x, k.y, k.score])),
        m.final_preds_image_coords.map((person: number[][]) => person.flatMap((row) => row.slice(0, 3))),
      );
      expect(err).toBeLessThan(1e-3);
      expect(maxAbsDiff(poses.map((p) => p.score), m.scores)).toBeLessThan(1e-5);

      // The same image as an int32 [H, W, 3] tensor, and without flip test (one forward pass).
      const imgTensor = tf.tensor3d(Int32Array.from(image.data), [h, w, 3], 'int32');
      seen.length = 0;
      const before2 = tf.memory().numTensors;
      const single = await estimatePoses(model, imgTensor, { inputSize: m.input_size, flipTest: false });
      expect(tf.memory().numTensors).toBe(before2);
      expect(seen).toEqual(['plain']);
      expect(single.length).toBeGreaterThan(0);
      imgTensor.dispose();
    } finally {
      tf.dispose([expected, mirrored, ...outs, ...outsFlipped]);
    }
  });

  it('measured every figure, each within its stated tolerance (the largest errors, printed)', () => {
    // resized image and model input bit-exact; sums to 1e-9 relative; scores 1e-5; positions 1e-3 px
    const tolerance: Record<string, number> = { resizedImage: 0, modelInput: 0, heatmapSumRel: 1e-9, tagSumRel: 1e-9, scores: 1e-5, people: 1e-3 };
    console.info('[pose-decoding pipeline] max |error|:', JSON.stringify(report));
    expect(Object.keys(report).sort()).toEqual(Object.keys(tolerance).sort());
    for (const [key, tol] of Object.entries(tolerance)) {
      if (tol === 0) expect(report[key], key).toBe(0);
      else expect(report[key], key).toBeLessThan(tol);
    }
  });
});
