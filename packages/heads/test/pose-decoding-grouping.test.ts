import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hrnet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePoses, peopleToCocoResults, posesToCocoResults, HigherHrnetCodec } from '../src/index.js';
import { aggregateResults, emptyAggregate, finishAggregation } from '../src/higher-hrnet/aggregate-results.js';
import { matchByTag, nmsHeatmaps, topK } from '../src/higher-hrnet/heatmap-parser.js';
import { getMultiScaleSize } from '../src/higher-hrnet/multi-scale-size.js';
import { getMultiStageOutputs } from '../src/higher-hrnet/multi-stage-outputs.js';
import { getAffineTransform } from '@hrnet/core';
import { GROUPING_DIR, maxAbsDiff, maxAbsDiffNested, openFixtures, personRows } from './pose-decoding-fixtures.js';

// HigherHRNet test-time post-processing against the grouping fixture (hand-crafted network outputs with
// three people, a spurious peak, weak joints and one absent joint; every Hungarian call has a unique
// optimum). Tolerances: the fixture README's "grouping positions 1e-3 px", scores 1e-5.
const POS_TOL = 1e-3;
const SCORE_TOL = 1e-5;

const fixtures = openFixtures(GROUPING_DIR);
const m = fixtures.manifest;
const planes = fixtures.planes;
const outputs = [planes('model_output_0'), planes('model_output_1')];
const flipped = [planes('model_output_flipped_input_0'), planes('model_output_flipped_input_1')];
const meta = { center: m.center as [number, number], scale: m.scale as [number, number], baseSize: m.base_size_wh as [number, number] };
const [H, W] = [m.base_size_wh[1] as number, m.base_size_wh[0] as number];

function aggregated(flip: boolean) {
  const { heatmaps, tags } = getMultiStageOutputs(outputs, flip ? flipped : undefined, { projectTo: meta.baseSize });
  return finishAggregation(aggregateResults(emptyAggregate(), 1, 1, heatmaps, tags, flip), 1);
}

const report: Record<string, number> = {};

beforeAll(() => initBackend('cpu', { log: () => {} }));

describe('pose decoding: grouping fixture', () => {
  it('size, centre, scale and the resize transform of the 160x120 image', () => {
    const [h, w] = m.image_hw;
    const s = getMultiScaleSize(w, h, m.config.INPUT_SIZE, 1, 1);
    expect(s.size).toEqual(m.base_size_wh);
    expect(s.center).toEqual(m.center);
    expect(s.scale[0]).toBeCloseTo(m.scale[0], 12);
    expect(s.scale[1]).toBeCloseTo(m.scale[1], 12);
    const t = getAffineTransform(m.center, m.scale, 0, m.base_size_wh);
    expect(maxAbsDiff(t, m.resize_affine_2x3.flat())).toBeLessThan(1e-12);
  });

  it('flip-test heatmaps and tags given to the parser are bit-exact (multi-stage outputs, flip back, projection)', () => {
    const agg = aggregated(true);
    expect([agg.heatmaps.channels, agg.heatmaps.height, agg.heatmaps.width, agg.tagDims]).toEqual([17, H, W, 2]);
    report.heatmaps = maxAbsDiff(agg.heatmaps.data, fixtures.f32('final_heatmaps_flip'));
    report.tags = maxAbsDiff(agg.tags, fixtures.f32('tags_flip'));
    expect(report.heatmaps).toBe(0);
    expect(report.tags).toBe(0);
  });

  for (const mode of ['flip', 'noflip'] as const) {
    describe(mode, () => {
      const r = m.results[mode];
      const flip = mode === 'flip';
      const agg = aggregated(flip);
      const shape = { numJoints: 17, height: H, width: W, tagDims: agg.tagDims };

      it('heatmap statistics', () => {
        let sum = 0;
        let max = -Infinity;
        for (const v of agg.heatmaps.data) {
          sum += v;
          max = Math.max(max, v);
        }
        expect(agg.tagDims).toBe(flip ? 2 : 1);
        expect(Math.abs(sum - r.final_heatmaps_stats.sum) / r.final_heatmaps_stats.sum).toBeLessThan(1e-9);
        expect(max).toBe(r.final_heatmaps_stats.max);
      });

      it('top-k candidates (the non-zero part of the excerpt)', () => {
        const top = topK(nmsHeatmaps(agg.heatmaps.data, 17, H, W), agg.tags, shape, 30);
        r.top_k.val_k.forEach((vals: number[], j: number) => {
          vals.forEach((v, q) => {
            if (v === 0) return; // zero-valued ties: order is implementation defined
            expect(top.values[j * 30 + q]).toBe(v);
            const ind = top.indices[j * 30 + q]!;
            expect([ind % W, Math.floor(ind / W)]).toEqual(r.top_k.loc_k_xy[j][q]);
          });
        });
      });

      it('people matched by tag (before adjust)', () => {
        const top = topK(nmsHeatmaps(agg.heatmaps.data, 17, H, W), agg.tags, shape, 30);
        const people = matchByTag(top, shape);
        expect(people.length).toBe(r.matched_before_adjust.length);
        const err = maxAbsDiffNested(people.flatMap((p) => personRows(p)), r.matched_before_adjust.flat());
        expect(err).toBeLessThan(1e-6);
      });

      it('decodePoses (NHWC tensors): scores, people after adjust + refine, image coordinates, COCO records', async () => {
        const t = outputs.map((_, i) => fixtures.nhwc(`model_output_${i}`));
        const tf_ = flip
          ? outputs.map((_, i) => fixtures.nhwc(`model_output_flipped_input_${i}`))
          : undefined;
        const before = tf.memory().numTensors;
        const dec = await decodePoses(t, tf_, meta);
        expect(tf.memory().numTensors).toBe(before);
        // The same through the family's codec.
        const viaDecoder = await HigherHrnetCodec.fromPreset('higherhrnet_w32_512').decode(t, tf_, meta);
        expect(viaDecoder.scores).toEqual(dec.scores);
        tf.dispose([...t, ...(tf_ ?? [])]);

        expect(dec.poses.length).toBe(r.scores.length);
        const scoreErr = maxAbsDiff(dec.scores, r.scores);
        const adjErr = maxAbsDiffNested(dec.peopleInHeatmap.flatMap((p) => personRows(p)), r.grouped_after_adjust_refine.flat());
        const imgErr = maxAbsDiffNested(dec.people.flatMap((p) => personRows(p)), r.final_preds_image_coords.flat());
        report[`${mode}.score`] = scoreErr;
        report[`${mode}.adjusted`] = adjErr;
        report[`${mode}.image`] = imgErr;
        expect(scoreErr).toBeLessThan(SCORE_TOL);
        expect(adjErr).toBeLessThan(POS_TOL);
        expect(imgErr).toBeLessThan(POS_TOL);

        // Pose objects carry the same numbers.
        dec.poses.forEach((pose, i) => {
          expect(pose.keypoints.map((k) => k.name).slice(0, 3)).toEqual(['nose', 'left_eye', 'right_eye']);
          expect(maxAbsDiff(pose.keypoints.flatMap((k) => [k.x, k.y, k.score]), r.final_preds_image_coords[i].flatMap((row: number[]) => row.slice(0, 3)))).toBeLessThan(POS_TOL);
        });

        const cocoA = posesToCocoResults(dec.poses, 1);
        const cocoB = peopleToCocoResults(dec.people, dec.scores, 1);
        for (const coco of [cocoA, cocoB]) {
          expect(coco.length).toBe(r.coco_results.length);
          coco.forEach((rec, i) => {
            const ref = r.coco_results[i];
            expect(rec.image_id).toBe(ref.image_id);
            expect(rec.category_id).toBe(1);
            expect(maxAbsDiff(rec.keypoints, ref.keypoints)).toBeLessThan(POS_TOL);
            expect(maxAbsDiff(rec.bbox, ref.bbox)).toBeLessThan(POS_TOL);
            expect(Math.abs(rec.score - ref.score)).toBeLessThan(SCORE_TOL);
          });
        }
      });
    });
  }

  it('measured every figure, each within its stated tolerance (the largest errors, printed)', () => {
    const tolerance: Record<string, number> = { heatmaps: 0, tags: 0 };
    for (const mode of ['flip', 'noflip']) Object.assign(tolerance, { [`${mode}.score`]: SCORE_TOL, [`${mode}.adjusted`]: POS_TOL, [`${mode}.image`]: POS_TOL });
    console.info('[pose-decoding grouping] max |error|:', JSON.stringify(report));
    expect(Object.keys(report).sort()).toEqual(Object.keys(tolerance).sort());
    for (const [key, tol] of Object.entries(tolerance)) {
      if (tol === 0) expect(report[key], key).toBe(0);
      else expect(report[key], key).toBeLessThan(tol);
    }
  });
});
