/**
 * Top-down pieces: box -> centre/scale with the aspect ratio and padding, the ground-truth person list (clipped
 * boxes, crowd and zero-area left out), COCO-format detection files (fields and image ids checked, zero-area boxes
 * counted), the train_pipeline's crop and joints, batches of a generated COCO set.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bboxToCenterScale, createRng, getAffineTransform, type TopDownSample, type TopDownTargetEncoder } from '@hrnet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CocoFormatError,
  CocoTopDownTrainSet,
  drawTopDownParams,
  generateSyntheticCocoKeypoints,
  groundTruthPeople,
  loadPersonDetections,
  makeTopDownSample,
  parseCocoKeypoints,
  resolveTopDownPipelineConfig,
  type TopDownPerson,
} from '../src/index.js';

const kp = (pairs: [number, number, number][]) => Array.from({ length: 17 }, (_, j) => pairs[j] ?? [0, 0, 0]).flat();
const dataset = parseCocoKeypoints(
  {
    images: [
      { id: 1, file_name: 'a.jpg', width: 100, height: 80 },
      { id: 2, file_name: 'b.jpg', width: 50, height: 50 },
    ],
    annotations: [
      { id: 10, image_id: 1, category_id: 1, iscrowd: 0, area: 500, bbox: [-5, 10, 30, 90], num_keypoints: 2, keypoints: kp([[5, 20, 2], [10, 30, 1]]) },
      { id: 11, image_id: 1, category_id: 1, iscrowd: 1, area: 500, bbox: [0, 0, 30, 30], num_keypoints: 0, keypoints: kp([]) },
      { id: 12, image_id: 1, category_id: 1, iscrowd: 0, area: 0, bbox: [40, 40, 0, 10], num_keypoints: 1, keypoints: kp([[40, 45, 2]]) },
      { id: 13, image_id: 2, category_id: 1, iscrowd: 0, area: 100, bbox: [5, 5, 20, 20], num_keypoints: 0, keypoints: kp([]) },
    ],
    categories: [{ id: 1, name: 'person', keypoints: Array.from({ length: 17 }, (_, j) => `k${j}`) }],
  },
  'gt.json',
);

/** An encoder that records the joints it got (the family's codec lives in @hrnet/heads). */
const recorder = (inputSize: [number, number]): TopDownTargetEncoder & { last?: TopDownSample } => {
  const enc: TopDownTargetEncoder & { last?: TopDownSample } = {
    inputSize,
    encode(s) {
      enc.last = s;
      return { joints: [{ data: Float32Array.from(s.joints), shape: [s.joints.length] }] };
    },
  };
  return enc;
};

describe('top-down person boxes', () => {
  it('bboxToCenterScale: the box centre, grown to the aspect ratio, in 200-px units, x1.25', () => {
    const { center, scale } = bboxToCenterScale([10, 20, 30, 60], 192 / 256);
    expect(center).toEqual([25, 50]);
    expect(scale[0]).toBeCloseTo((45 / 200) * 1.25, 6);
    expect(scale[1]).toBeCloseTo((60 / 200) * 1.25, 6);
    const wide = bboxToCenterScale([0, 0, 90, 60], 0.75, 1);
    expect(wide.scale[1]).toBeCloseTo(120 / 200, 6);
  });

  it('ground truth: boxes clipped to the image, crowd and keypoint-less people left out, zero-area boxes counted', () => {
    const { people, zeroArea } = groundTruthPeople(dataset);
    expect(zeroArea).toBe(1);
    expect(people).toHaveLength(1);
    expect(people[0]).toMatchObject({ imageId: 1, bbox: [0, 10, 29, 69], score: 1 });
    expect(Array.from(people[0]!.joints.slice(0, 6))).toEqual([5, 20, 1, 10, 30, 1]);
  });

  describe('detection files', () => {
    let dir: string;
    beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'hrnet-dets-'))));
    afterAll(() => rm(dir, { recursive: true, force: true }));
    const write = async (name: string, value: unknown) => {
      const f = join(dir, name);
      await writeFile(f, JSON.stringify(value));
      return f;
    };

    it('reads person boxes with scores; other categories and low scores left out; zero-area boxes counted', async () => {
      const file = await write('dets.json', [
        { image_id: 1, category_id: 1, bbox: [1, 2, 30, 40], score: 0.9 },
        { image_id: 1, category_id: 1, bbox: [1, 2, 0, 40], score: 0.8 },
        { image_id: 2, category_id: 3, bbox: [1, 2, 10, 10], score: 0.99 },
        { image_id: 2, category_id: 1, bbox: [5, 5, 10, 10], score: 0.05 },
      ]);
      const all = await loadPersonDetections(file, dataset);
      expect(all.zeroArea).toBe(1);
      expect(all.people.map((p) => [p.imageId, p.score])).toEqual([
        [1, 0.9],
        [2, 0.05],
      ]);
      expect((await loadPersonDetections(file, dataset, { minScore: 0.1 })).people).toHaveLength(1);
    });

    it('a missing field, or an image id the annotations do not have, is one line naming the file and the record', async () => {
      const missing = await write('missing.json', [{ image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], score: 1 }, { image_id: 1, category_id: 1, score: 0.5 }]);
      const e1 = (await loadPersonDetections(missing, dataset).catch((e: Error) => e)) as Error;
      expect(e1).toBeInstanceOf(CocoFormatError);
      expect(e1.message).toMatch(new RegExp(`^${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: results\\[1\\] \\(image_id 1\\)\\.bbox: `));
      expect(e1.message).not.toContain('\n');
      const unknown = await write('unknown.json', [{ image_id: 7, category_id: 1, bbox: [1, 2, 3, 4], score: 1 }]);
      await expect(loadPersonDetections(unknown, dataset)).rejects.toThrow(`${unknown}: results[0].image_id: image id 7 is not in gt.json`);
      await expect(loadPersonDetections(await write('empty.json', []), dataset)).rejects.toThrow('no detections');
    });
  });
});

describe('top-down samples', () => {
  const cfg = resolveTopDownPipelineConfig({ imageSize: [48, 64] });
  const image = { data: new Uint8Array(100 * 80 * 3).map((_, i) => i % 251), width: 100, height: 80, channels: 3 };
  const person: TopDownPerson = { imageId: 1, bbox: [20, 10, 30, 60], score: 1, joints: Float64Array.from(kp([[35, 40, 1], [30, 20, 0]])) };

  it('the val pipeline crops the padded box; visible joints map through get_affine_transform, invisible ones stay', () => {
    const { params, joints } = drawTopDownParams(person, image.width, cfg);
    expect(params).toMatchObject({ rotation: 0, flip: false, center: [35, 40] });
    const enc = recorder([48, 64]);
    const s = makeTopDownSample(image, joints, params, cfg, enc);
    expect(s.sample.image).toHaveLength(64 * 48 * 3);
    // The box is 45 x 60 after the aspect ratio, x1.25: the centre maps to the crop centre, 48 / 56.25 px per px.
    expect(enc.last!.joints[0]).toBeCloseTo(24, 4);
    expect(enc.last!.joints[1]).toBeCloseTo(32, 4);
    expect(Array.from(enc.last!.joints.slice(3, 6))).toEqual([30, 20, 0]);
    expect(s.targets.joints).toBeDefined();
  });

  it('augmentation draws are seeded; a flip mirrors the centre and swaps left/right joints', () => {
    const a = drawTopDownParams(person, image.width, cfg, createRng(5));
    const b = drawTopDownParams(person, image.width, cfg, createRng(5));
    expect(a).toEqual(b);
    let flipped: ReturnType<typeof drawTopDownParams> | undefined;
    for (let seed = 0; !flipped; seed++) {
      const d = drawTopDownParams(person, image.width, { ...cfg, probHalfBody: 0, shiftProb: 0 }, createRng(seed));
      if (d.params.flip) flipped = d;
    }
    // Joint 0 (nose) keeps its place in the order; joint 1 (left eye) takes joint 2's (invisible -> zeros).
    expect(flipped.joints[0]).toBe(100 - 1 - 35);
    expect(Array.from(flipped.joints.slice(3, 6))).toEqual([0, 0, 0]);
    const ranges = Array.from({ length: 200 }, (_, s) => drawTopDownParams(person, image.width, cfg, createRng(s)).params);
    for (const p of ranges) {
      expect(Math.abs(p.rotation)).toBeLessThanOrEqual(60);
      expect(p.scale[1] / ((60 / 200) * 1.25)).toBeLessThanOrEqual(1.25 + 1e-6);
    }
    expect(ranges.filter((p) => p.rotation === 0).length).toBeGreaterThan(40); // rot_prob 0.6
    const t = getAffineTransform(a.params.center, a.params.scale, a.params.rotation, [48, 64]);
    expect(t.every(Number.isFinite)).toBe(true);
  });

  it('CocoTopDownTrainSet: one sample per labelled person of a generated set, batches of stacked targets, seeded', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hrnet-topdown-set-'));
    try {
      await generateSyntheticCocoKeypoints(root, { split: 'train', images: 4, size: 96, seed: 2, peoplePerImage: [1, 2] });
      const set = await CocoTopDownTrainSet.open({ root, split: 'train2017', config: { imageSize: [48, 64] }, encoder: recorder([48, 64]), log: () => {} });
      expect(set.length).toBeGreaterThanOrEqual(4);
      const batches = [];
      for await (const b of set.batches({ batchSize: 3, seed: 1 })) batches.push(b);
      expect(batches.reduce((n, b) => n + b.size, 0)).toBe(set.length);
      expect(batches[0]!.imageShape).toEqual([3, 64, 48, 3]);
      expect(batches[0]!.targets.joints![0]!.shape).toEqual([3, 51]);
      const again = [];
      for await (const b of set.batches({ batchSize: 3, seed: 1 })) again.push(b);
      expect(again[0]!.images).toEqual(batches[0]!.images);
      await expect(CocoTopDownTrainSet.open({ root, split: 'train2017', config: { imageSize: [48, 64] }, encoder: recorder([64, 64]) }).then((s) => s.sample(0))).rejects.toThrow(
        "the encoder's input is 64x64, the pipeline's image_size 48x64 (WxH)",
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
