import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateKeypoints,
  generateSyntheticCocoKeypoints,
  loadCocoKeypoints,
  segmentationArea,
  type CocoKeypointsDataset,
  type SyntheticCocoResult,
} from '../src/index.js';

describe('generateSyntheticCocoKeypoints', { timeout: 60_000 }, () => {
  let root: string;
  let val: SyntheticCocoResult;
  let data: CocoKeypointsDataset;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'synthetic-coco-'));
    val = await generateSyntheticCocoKeypoints(root, {
      split: 'val',
      images: 10,
      size: [160, 128],
      seed: 7,
      crowdProbability: 0.5,
      zeroKeypointProbability: 0.5,
      occlusionProbability: 0.5,
      partialProbability: 0.3,
    });
    data = await loadCocoKeypoints(val.annotationFile);
  }, 60_000);
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes real JPEGs in HigherHRNet layout and an annotation file that validates', async () => {
    expect(val.annotationFile).toBe(path.join(root, 'annotations', 'person_keypoints_val2017.json'));
    expect(data.images).toHaveLength(10);
    for (const img of data.images) {
      expect(img.file_name).toMatch(/^\d{12}\.jpg$/);
      expect(Number(img.file_name.slice(0, 12))).toBe(img.id);
      const file = path.join(root, 'images', 'val2017', img.file_name);
      expect(existsSync(file)).toBe(true);
      const meta = await sharp(file).metadata();
      expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['jpeg', 160, 128, 3]);
    }
    expect(data.categories[0].keypoints).toHaveLength(17);
  });

  it('annotations are consistent: areas from the segmentation, boxes in the image, num_keypoints = labelled joints', () => {
    let crowd = 0;
    let zeroKp = 0;
    let occluded = 0;
    let outside = 0;
    for (const a of data.annotations) {
      expect(a.area).toBe(segmentationArea(a.segmentation as never, 128, 160));
      expect(a.area).toBeGreaterThan(0);
      const [x, y, w, h] = a.bbox;
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(x + w).toBeLessThanOrEqual(160.001);
      expect(y + h).toBeLessThanOrEqual(128.001);
      let labelled = 0;
      for (let j = 0; j < 17; j++) {
        const [kx, ky, v] = a.keypoints.slice(3 * j, 3 * j + 3);
        if (v > 0) {
          labelled++;
          expect(kx >= 0 && kx < 160 && ky >= 0 && ky < 128).toBe(true);
        } else expect([kx, ky]).toEqual([0, 0]);
        if (v === 1) occluded++;
        if (v === 0 && a.num_keypoints > 0) outside++;
      }
      expect(a.num_keypoints).toBe(labelled);
      if (a.iscrowd) crowd++;
      else if (a.num_keypoints === 0) zeroKp++;
    }
    expect(crowd).toBe(val.crowdRegions);
    expect(zeroKp).toBe(val.unlabelledPeople);
    expect(crowd).toBeGreaterThan(0);
    expect(zeroKp).toBeGreaterThan(0);
    expect(occluded).toBeGreaterThan(0);
    expect(outside).toBeGreaterThan(0);
    expect(data.annotations.some((a) => a.iscrowd && !Array.isArray(a.segmentation))).toBe(true);
  });

  it('the ground truth scored as detections gives AP 1.0', async () => {
    const results = data.annotations
      .filter((a) => !a.iscrowd && a.num_keypoints > 0)
      .map((a) => ({ image_id: a.image_id, category_id: 1, keypoints: [...a.keypoints], score: 1 }));
    const ev = await evaluateKeypoints(data, results);
    expect(ev.statsByName.AP).toBe(1);
    expect(ev.statsByName.AR).toBe(1);
  });

  it('is deterministic in (seed, split, index)', async () => {
    const again = await mkdtemp(path.join(tmpdir(), 'synthetic-coco-'));
    try {
      const r = await generateSyntheticCocoKeypoints(again, {
        split: 'val',
        images: 3,
        size: [160, 128],
        seed: 7,
        crowdProbability: 0.5,
        zeroKeypointProbability: 0.5,
        occlusionProbability: 0.5,
        partialProbability: 0.3,
      });
      const a = await loadCocoKeypoints(r.annotationFile);
      expect(a.annotations).toEqual(data.annotations.filter((x) => a.imagesById.has(x.image_id)));
      const f = a.images[2].file_name;
      expect((await readFile(path.join(again, 'images/val2017', f))).equals(await readFile(path.join(root, 'images/val2017', f)))).toBe(true);
    } finally {
      await rm(again, { recursive: true, force: true });
    }
  });
});
