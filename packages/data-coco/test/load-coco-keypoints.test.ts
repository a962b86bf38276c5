import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CocoFormatError, cocoKeypointsFileSchema, loadCocoKeypoints, parseCocoKeypoints } from '../src/index.js';
import { fixture } from './fixture-paths.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'data-coco-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const gtJson = () => JSON.parse(readFileSync(fixture('gt.json'), 'utf8'));

function writeTmp(name: string, content: unknown): string {
  const file = path.join(tmp, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function loadError(file: string): Promise<CocoFormatError> {
  try {
    await loadCocoKeypoints(file);
  } catch (err) {
    expect(err).toBeInstanceOf(CocoFormatError);
    return err as CocoFormatError;
  }
  throw new Error('expected loadCocoKeypoints to fail');
}

describe('loadCocoKeypoints', () => {
  it('loads and indexes the fixture, keeping crowd and zero-keypoint annotations', async () => {
    const ds = await loadCocoKeypoints(fixture('gt.json'));
    expect(ds.source).toBe(fixture('gt.json'));
    expect(ds.images).toHaveLength(6);
    expect(ds.annotations).toHaveLength(10);
    expect([...ds.annotationsByImage.keys()]).toEqual([101, 102, 103, 104, 105, 106]);
    expect(ds.annotationsByImage.get(103)).toEqual([]);
    const img105 = ds.annotationsByImage.get(105)!;
    expect(img105.map((a) => a.id)).toEqual([5, 6, 7, 8]);
    expect(img105.map((a) => [a.iscrowd, a.num_keypoints])).toEqual([[0, 17], [0, 17], [0, 0], [1, 0]]);
    // the crowd RLE segmentation and unknown fields survive validation
    expect(ds.annotationsById.get(8)!.segmentation).toMatchObject({ size: [480, 640] });
    expect(ds.data.info).toEqual({ description: 'synthetic keypoint evaluation fixture' });
    expect(ds.categoriesById.get(1)!.keypoints).toHaveLength(17);
    expect(ds.imagesById.get(106)!.file_name).toBe('000000000106.jpg');
  });

  it('names the file on malformed JSON', async () => {
    const file = writeTmp('person_keypoints_broken.json', '{"images": [{"id": 1,');
    const err = await loadError(file);
    expect(err.source).toBe(file);
    expect(err.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: malformed JSON: `));
  });

  it('names the file when it cannot be read', async () => {
    const err = await loadError(path.join(tmp, 'missing.json'));
    expect(err.message).toContain('missing.json: cannot read file (ENOENT)');
  });

  it('reports a wrong keypoint count with file, field path and annotation id', async () => {
    const gt = gtJson();
    gt.annotations[2].keypoints.pop();
    const file = writeTmp('person_keypoints_val2017.json', gt);
    const err = await loadError(file);
    expect(err.message).toBe(`${file}: annotations[2] (id 3).keypoints: expected 51 numbers, got 50`);
    expect(err.issues).toEqual([{ path: 'annotations[2] (id 3).keypoints', message: 'expected 51 numbers, got 50' }]);
  });

  it('points at the bad element inside a keypoint array', async () => {
    const gt = gtJson();
    gt.annotations[0].keypoints[4] = 'x';
    gt.annotations[1].keypoints[5] = 3;
    const err = await loadError(writeTmp('bad-elements.json', gt));
    expect(err.issues).toEqual([
      { path: 'annotations[0] (id 1).keypoints[4]', message: 'expected a finite number, got string' },
      { path: 'annotations[1] (id 2).keypoints[5]', message: 'visibility flag of keypoint 1 must be 0, 1 or 2, got 3' },
    ]);
  });

  it('lists every structural problem with its path', () => {
    const gt = gtJson();
    delete gt.annotations[1].num_keypoints;
    gt.annotations[4].iscrowd = 2;
    gt.images[3].width = -5;
    let err: CocoFormatError | undefined;
    try {
      parseCocoKeypoints(gt, 'val.json');
    } catch (e) {
      err = e as CocoFormatError;
    }
    expect(err).toBeInstanceOf(CocoFormatError);
    expect(err!.issues.map((i) => i.path).sort()).toEqual([
      'annotations[1] (id 2).num_keypoints',
      'annotations[4] (id 5).iscrowd',
      'images[3] (id 104).width',
    ]);
    expect(err!.message).toMatch(/^val\.json: 3 problems\n/);
  });

  it('rejects unknown image / category ids and duplicate ids', () => {
    const gt = gtJson();
    gt.annotations[0].image_id = 999;
    gt.annotations[1].category_id = 7;
    gt.annotations[2].id = 1;
    gt.categories[0].skeleton.push([0, 18]);
    expect(() => parseCocoKeypoints(gt, 'g.json')).toThrow(CocoFormatError);
    try {
      parseCocoKeypoints(gt, 'g.json');
    } catch (e) {
      expect((e as CocoFormatError).issues).toEqual([
        { path: 'annotations[2] (id 1).id', message: 'duplicate id 1 (first used by annotations[0])' },
        { path: 'categories[0] (id 1).skeleton[19]', message: 'keypoint indices are 1-based and must lie in 1..17, got [0, 18]' },
        { path: 'annotations[0] (id 1).image_id', message: 'no image with id 999' },
        { path: 'annotations[1] (id 2).category_id', message: 'no category with id 7' },
      ]);
    }
  });

  it('rejects a non-object root', () => {
    expect(() => parseCocoKeypoints([], 'list.json')).toThrow('list.json: expected a JSON object with images, annotations and categories');
  });

  it('exposes the zod schema for reuse', () => {
    expect(cocoKeypointsFileSchema.safeParse(gtJson()).success).toBe(true);
    expect(cocoKeypointsFileSchema.safeParse({ images: [], annotations: [] }).success).toBe(false);
  });

  it('a bad RLE is found when the file loads, naming the file, the annotation id and its image (issue 18: it failed mid-training, naming neither)', async () => {
    const json = gtJson();
    json.annotations[7].segmentation = { size: json.annotations[7].segmentation.size, counts: 'ab~cd' };
    const err = await loadError(writeTmp('bad-rle.json', json));
    expect(err.message).toBe(`${path.join(tmp, 'bad-rle.json')}: annotations[7] (id 8, image_id 105).segmentation: RLE string has a character outside '0'..'o' at 2: "~"`);
    const short = gtJson();
    short.annotations[7].segmentation.counts = short.annotations[7].segmentation.counts.slice(0, 3);
    expect((await loadError(writeTmp('short-rle.json', short))).message).toMatch(/short-rle\.json: annotations\[7\] \(id 8, image_id 105\)\.segmentation: RLE runs cover 230930 pixels, size \[\d+, \d+\] has \d+$/);
  });
});
