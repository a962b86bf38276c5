import { copyFile, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Generous limits: worker threads compile the sources with tsx at start-up, and the 2-core machine is shared.
const SLOW = 60_000;
import {
  affineMatrix,
  CocoKeypointsTrainSet,
  createRng,
  decodeRgb,
  drawAffineParams,
  generateSyntheticCocoKeypoints,
  DEFAULT_MAX_IMAGE_PIXELS,
  ImageDecodeError,
  identityAffineParams,
  imageIdListFile,
  jointsFromKeypoints,
  loadCocoKeypoints,
  mixSeed,
  parseCocoKeypoints,
  resolvePipelineConfig,
  transformSample,
  validPixelMask,
  type KeypointBatch,
} from '../src/index.js';
import { createPointEncoder, pointEncoder } from './point-encoder.js';
import { pngHeaderOnly } from '../../../test-utils/hostile-png.js';

let root: string;
const config = { inputSize: 128 };
const encoder = pointEncoder([32, 64]);

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'coco-train-set-'));
  await generateSyntheticCocoKeypoints(root, { split: 'train', images: 8, size: [176, 144], seed: 3, crowdProbability: 0.6, zeroKeypointProbability: 0.5 });
}, SLOW);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const collect = async (it: AsyncIterable<KeypointBatch>) => {
  const out: KeypointBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
};

describe('CocoKeypointsTrainSet', { timeout: SLOW }, () => {
  it('lists images with at least one annotation of any kind; optional id list by id or file name', async () => {
    const file = path.join(root, 'annotations', 'person_keypoints_train2017.json');
    const json = JSON.parse(await readFile(file, 'utf8'));
    json.images.push({ id: 99, file_name: '000000000099.jpg', width: 10, height: 10 });
    const annotations = parseCocoKeypoints(json);
    const set = await CocoKeypointsTrainSet.open({ root, split: 'train2017', annotations, config, encoder });
    expect(set.length).toBe(8);
    expect(set.imageIds).not.toContain(99);

    const list = path.join(root, 'train2017.txt');
    await writeFile(list, `# subset\n3\nimages/train2017/000000000005.jpg\n\n000000000099.jpg\n`);
    const sub = await CocoKeypointsTrainSet.open({ root, split: 'train2017', annotations, idListFile: list, config, encoder });
    expect(sub.imageIds).toEqual([3, 5]);
    // {root}/{split}.txt is used when present (DeepSpark's listing); idListFile: false ignores it.
    expect(await imageIdListFile(root, 'train2017')).toBe(list);
    expect((await CocoKeypointsTrainSet.open({ root, split: 'train2017', annotations, config, encoder })).imageIds).toEqual([3, 5]);
    expect((await CocoKeypointsTrainSet.open({ root, split: 'train2017', annotations, idListFile: false, config, encoder })).length).toBe(8);
    await writeFile(list, '3\n123456\n');
    await expect(CocoKeypointsTrainSet.open({ root, split: 'train2017', annotations, idListFile: list, config, encoder })).rejects.toThrow(/123456/);
    await rm(list);
    expect(await imageIdListFile(root, 'train2017')).toBeUndefined();
  });

  it('sample(i, rng): shapes, value ranges, and the same result as composing the steps by hand', async () => {
    const set = await CocoKeypointsTrainSet.open({ root, split: 'train2017', config, encoder });
    const s = await set.sample(2, 11);
    expect(s.sample.image).toHaveLength(128 * 128 * 3);
    expect(s.sample.maps.map((m) => m.size)).toEqual([32, 64]);
    expect(s.targets.points.map((p) => p.shape)).toEqual([[32, 32, 17], [64, 64, 17]]);
    expect(s.targets.masks.map((m) => m.data.length)).toEqual([32 * 32, 64 * 64]);
    expect(s.targets.counts[1].data[0]).toBeGreaterThan(0);

    const spec = set.spec(2);
    const image = await decodeRgb(spec.path);
    const kept = spec.annotations.filter((a) => a.iscrowd === 0 || a.num_keypoints > 0);
    const params = drawAffineParams(createRng(11), image.width, image.height);
    const manual = transformSample(
      {
        image,
        validMask: validPixelMask(spec.annotations, image.height, image.width),
        joints: jointsFromKeypoints(kept.map((a) => a.keypoints), 17),
        people: kept.length,
      },
      params,
      resolvePipelineConfig(config),
      [32, 64],
    );
    expect(s.params).toEqual(params);
    expect(Buffer.from(s.sample.image.buffer).equals(Buffer.from(manual.sample.image.buffer))).toBe(true);
    expect(s.sample.maps[0].joints).toEqual(manual.sample.maps[0].joints);
    expect(s.targets).toEqual(createPointEncoder({ sizes: [32, 64] }).encode(manual.sample));
    expect(affineMatrix(params, 32)).toEqual(affineMatrix(s.params, 32));
  });

  it('an unaugmented view keeps every labelled joint that lies in the crop on the heatmaps', async () => {
    const set = await CocoKeypointsTrainSet.open({ root, split: 'train2017', config, encoder });
    const img = set.annotations.imagesById.get(set.imageIds[0])!;
    const s = await set.sample(0, identityAffineParams(img.width, img.height));
    const anns = set.annotations.annotationsByImage.get(img.id)!.filter((a) => !a.iscrowd && a.num_keypoints > 0);
    const m = affineMatrix(identityAffineParams(img.width, img.height), 64);
    for (const a of anns) {
      for (let j = 0; j < 17; j++) {
        const [x, y, v] = a.keypoints.slice(3 * j, 3 * j + 3);
        const X = Math.trunc(m[0] * x + m[2]);
        const Y = Math.trunc(m[4] * y + m[5]);
        if (v > 0 && X >= 0 && X < 64 && Y >= 0 && Y < 64) expect(s.targets.points[1].data[(Y * 64 + X) * 17 + j]).toBe(1);
      }
    }
  });

  it("batches: NHWC images and every target of the encoder stacked, in a seeded order; prefetch does not change the result", async () => {
    const set = await CocoKeypointsTrainSet.open({ root, split: 'train2017', config, encoder });
    const a = await collect(set.batches({ batchSize: 3, seed: 5, epoch: 1, prefetch: 0 }));
    const b = await collect(set.batches({ batchSize: 3, seed: 5, epoch: 1, prefetch: 3 }));
    expect(a.map((x) => x.size)).toEqual([3, 3, 2]);
    expect(set.batchCount(3)).toBe(3);
    expect(a[0].imageShape).toEqual([3, 128, 128, 3]);
    expect(a[0].targets.points.map((t) => t.shape)).toEqual([[3, 32, 32, 17], [3, 64, 64, 17]]);
    expect(a[0].targets.masks.map((t) => t.shape)).toEqual([[3, 32, 32], [3, 64, 64]]);
    expect(a[0].targets.counts.map((t) => [t.shape, t.data.constructor.name])).toEqual([[[3, 1], 'Int32Array'], [[3, 1], 'Int32Array']]);
    expect(a.flatMap((x) => x.indices).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(a.map((x) => x.indices)).toEqual(b.map((x) => x.indices));
    expect(Buffer.from(a[1].images.buffer).equals(Buffer.from(b[1].images.buffer))).toBe(true);
    // Each sample is sample(index, mixSeed(seed, epoch, index)).
    const i = a[0].indices[1];
    const s = await set.sample(i, mixSeed(5, 1, i));
    expect(Array.from(a[0].images.subarray(128 * 128 * 3, 2 * 128 * 128 * 3))).toEqual(Array.from(s.sample.image));
    expect(Array.from(a[0].targets.points[1].data.subarray(64 * 64 * 17, 2 * 64 * 64 * 17))).toEqual(Array.from(s.targets.points[1].data));
    expect(a[0].targets.counts[0].data[1]).toBe(s.targets.counts[0].data[0]);
    // Another epoch, another order.
    const c = await collect(set.batches({ batchSize: 3, seed: 5, epoch: 2, dropLast: true }));
    expect(c.map((x) => x.size)).toEqual([3, 3]);
    expect(c.map((x) => x.indices)).not.toEqual(a.slice(0, 2).map((x) => x.indices));
  });

  it('worker threads give the same batches as the in-process pipeline', async () => {
    const set = await CocoKeypointsTrainSet.open({ root, split: 'train2017', config, encoder });
    const local = await collect(set.batches({ batchSize: 4, seed: 9 }));
    const pool = set.createWorkerPool(2);
    try {
      const viaPool = await collect(set.batches({ batchSize: 4, seed: 9, workers: pool, prefetch: 1 }));
      expect(viaPool.map((x) => x.indices)).toEqual(local.map((x) => x.indices));
      for (let k = 0; k < local.length; k++) {
        expect(Buffer.from(viaPool[k].images.buffer).equals(Buffer.from(local[k].images.buffer))).toBe(true);
        expect(viaPool[k].targets).toEqual(local[k].targets);
      }
    } finally {
      await pool.close();
    }
  });

  it('a corrupt image raises with its path, or is skipped and the batch filled from the next images', async () => {
    const broken = await mkdtemp(path.join(tmpdir(), 'coco-broken-'));
    try {
      await generateSyntheticCocoKeypoints(broken, { split: 'train', images: 5, size: 96, seed: 1 });
      const victim = path.join(broken, 'images', 'train2017', '000000000002.jpg');
      const bytes = await readFile(victim);
      await writeFile(victim, bytes.subarray(0, bytes.length >> 1));
      await copyFile(victim, victim + '.bak');
      const set = await CocoKeypointsTrainSet.open({ root: broken, split: 'train2017', config: { inputSize: 64 }, encoder: pointEncoder([16, 32]) });
      const err = await collect(set.batches({ batchSize: 2, shuffle: false, onCorruptImage: 'throw' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImageDecodeError);
      expect((err as ImageDecodeError).path).toBe(victim);
      expect((err as Error).message).toContain(victim);

      const skipped: string[] = [];
      const batches = await collect(
        set.batches({ batchSize: 2, shuffle: false, workers: 1, onCorruptImage: 'skip', onSkip: (p) => skipped.push(p), onEpochSkipped: () => undefined }),
      );
      expect(skipped).toEqual([victim]);
      expect(batches.map((b) => b.imageIds)).toEqual([[1, 3], [4, 5]]);
      const ann = await loadCocoKeypoints(path.join(broken, 'annotations', 'person_keypoints_train2017.json'));
      expect(ann.images).toHaveLength(5);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  it('bad samples (issue 18): missing, empty and over-budget images are found when the set opens; a truncated one is skipped and counted per epoch; none ends the epoch, nor costs a data-parallel rank a batch', async () => {
    const bad = await mkdtemp(path.join(tmpdir(), 'coco-bad-'));
    try {
      await generateSyntheticCocoKeypoints(bad, { split: 'train', images: 8, size: 96, seed: 2 });
      const img = (id: number) => path.join(bad, 'images', 'train2017', `00000000000${id}.jpg`);
      await rm(img(2)); // missing
      await writeFile(img(4), ''); // zero bytes
      const bytes = await readFile(img(6));
      await writeFile(img(6), bytes.subarray(0, bytes.length >> 1)); // truncated
      await writeFile(img(7), pngHeaderOnly(16000, 16000)); // the annotation says 96x96; the header says 16000x16000
      const annFile = path.join(bad, 'annotations', 'person_keypoints_train2017.json');
      const json = JSON.parse(await readFile(annFile, 'utf8'));
      json.images.find((i: { id: number }) => i.id === 8).width = 16000; // declared over budget
      json.images.find((i: { id: number }) => i.id === 8).height = 16000;
      await writeFile(annFile, JSON.stringify(json));
      const cfg = { inputSize: 64 };
      const encoder = pointEncoder([16, 32]);

      const lines: string[] = [];
      const set = await CocoKeypointsTrainSet.open({ root: bad, split: 'train2017', config: cfg, encoder, log: (l) => lines.push(l) });
      expect(set.excluded.map((b) => [b.imageId, b.reason])).toEqual([
        [2, 'missing'],
        [4, 'empty file'],
        [8, `16000x16000 is over the pixel budget of ${DEFAULT_MAX_IMAGE_PIXELS}`],
      ]);
      expect(lines).toEqual([`[data-coco] left out 3 of 8 images of ${annFile} cannot be used: ${img(2)} (missing), ${img(4)} (empty file), ${path.join(bad, 'images', 'train2017', '000000000008.jpg')} (16000x16000 is over the pixel budget of ${DEFAULT_MAX_IMAGE_PIXELS})`]);
      expect(set.imageIds).toEqual([1, 3, 5, 6, 7]);

      for (const workers of [0, 1]) {
        const summaries: string[][] = [];
        const batches = await collect(set.batches({ batchSize: 2, shuffle: false, workers, onEpochSkipped: (list) => summaries.push(list.map((s) => `${s.path}: ${s.reason}`)) }));
        expect(batches.map((b) => b.imageIds)).toEqual([[1, 3], [5]]);
        expect(summaries).toHaveLength(1);
        expect(summaries[0][0]).toMatch(new RegExp(`^${img(6).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
        expect(summaries[0][1]).toBe(`${img(7)}: image larger than the pixel budget of ${DEFAULT_MAX_IMAGE_PIXELS} pixels (maxImagePixels)`);
      }
      expect([...set.skipped.keys()]).toEqual([img(6), img(7)]);

      // A data-parallel rank's share (positions 3, 0, 4, 1 = images 6, 1, 7, 3): without refill the two skipped images
      // cost it a batch (other ranks would wait for it forever); with refill it wraps round its share and still yields 2.
      const share = { batchSize: 2, order: [3, 0, 4, 1], dropLast: true, onEpochSkipped: () => undefined };
      expect((await collect(set.batches(share))).map((b) => b.imageIds)).toEqual([[1, 3]]);
      expect((await collect(set.batches({ ...share, refill: true }))).map((b) => b.imageIds)).toEqual([
        [1, 3],
        [1, 3],
      ]);

      await expect(CocoKeypointsTrainSet.open({ root: bad, split: 'train2017', config: cfg, encoder, badSamples: 'fail' })).rejects.toThrow(
        `3 of 8 images of ${annFile} cannot be used: ${img(2)} (missing), ${img(4)} (empty file)`,
      );
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it('images reached through a symlink leading outside the root are followed and warned about once (issue 18: the documented symlink policy)', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'coco-link-'));
    try {
      const root = path.join(base, 'coco');
      await generateSyntheticCocoKeypoints(root, { split: 'train', images: 3, size: 64, seed: 3 });
      const images = path.join(root, 'images', 'train2017');
      await rename(images, path.join(base, 'shared-images'));
      await symlink(path.join(base, 'shared-images'), images);
      const lines: string[] = [];
      const set = await CocoKeypointsTrainSet.open({ root, split: 'train2017', config: { inputSize: 64 }, encoder: pointEncoder([16, 32]), log: (l) => lines.push(l) });
      expect(set.length).toBe(3);
      const img = (id: number) => path.join(images, `00000000000${id}.jpg`);
      expect(lines).toEqual([`[data-coco] 3 path(s) under ${root} are symlinks leading outside it (followed): ${img(1)}, ${img(2)}, ${img(3)}`]);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
